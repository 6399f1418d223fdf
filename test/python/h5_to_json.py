#!/usr/bin/python3
"""Read an HDF5 file the way a scientist would (h5py + numpy) and print JSON.

Usage: h5_to_json.py FILE [--max-values N]

Prints {"filters": {"bitshuffle": bool}, "attrs": {...}, "datasets": {path: {...}}}
where each dataset has: dtype (numpy str, e.g. "<i8", "|u1", "object"), kind
("int", "uint", "float", "string", ...), string (h5py string info or null),
shape, maxshape, chunks, compression, filter_ids, attrs, sha256 of the values
as little-endian bytes (numeric only), and values (up to N elements; int64/uint64
as strings so JSON keeps every digit; strings decoded). Reading every dataset
in full also proves the filters decode.

Needs Debian's python3-h5py and python3-numpy; for filter 32008 (bitshuffle)
hdf5plugin, or Debian's `bitshuffle` package when hdf5plugin lacks it
(Debian's python3-hdf5plugin 4.0.1 does).
"""
import hashlib
import json
import sys

import h5py
import numpy as np

try:
    import hdf5plugin  # noqa: F401  (registers its filters on import)
except ImportError:
    pass
if not h5py.h5z.filter_avail(32008):
    try:
        import bitshuffle.h5  # noqa: F401
    except ImportError:
        pass


def to_json_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (np.integer,)):
        return int(value) if abs(int(value)) < 2**53 else str(int(value))
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [to_json_value(v) for v in value.tolist()] if value.dtype.kind in "OSU" else to_json_value_list(value)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    return value


def to_json_value_list(array):
    if array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        return np.vectorize(str, otypes=[object])(array).tolist() if array.size else array.tolist()
    return array.tolist()


def attrs_of(obj):
    return {name: to_json_value(obj.attrs[name]) for name in obj.attrs}


def dataset_info(ds, max_values):
    string = h5py.check_string_dtype(ds.dtype)
    plist = ds.id.get_create_plist()
    info = {
        "dtype": ds.dtype.str if string is None else "object",
        "kind": "string" if string else {"i": "int", "u": "uint", "f": "float", "b": "bool"}.get(ds.dtype.kind, ds.dtype.kind),
        "string": None if string is None else {"encoding": string.encoding, "length": string.length},
        "shape": list(ds.shape),
        "maxshape": [None if m is None else m for m in ds.maxshape] if ds.maxshape is not None else None,
        "chunks": list(ds.chunks) if ds.chunks else None,
        "compression": ds.compression,
        "compression_opts": to_json_value(ds.compression_opts),
        "filter_ids": [plist.get_filter(i)[0] for i in range(plist.get_nfilters())],
        "attrs": attrs_of(ds),
    }
    if string:
        values = ds.asstr()[()]
        info["values"] = values if isinstance(values, str) else np.asarray(values, dtype=object).ravel()[:max_values].tolist()
    else:
        array = ds[()]
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        info["sha256"] = hashlib.sha256(little.tobytes()).hexdigest()
        info["values"] = to_json_value_list(np.asarray(array).ravel()[:max_values])
    return info


def main():
    path = sys.argv[1]
    max_values = int(sys.argv[sys.argv.index("--max-values") + 1]) if "--max-values" in sys.argv else 64
    out = {"filters": {"bitshuffle": bool(h5py.h5z.filter_avail(32008))}, "attrs": {}, "groups": {}, "datasets": {}}
    with h5py.File(path, "r") as f:
        out["attrs"] = attrs_of(f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["datasets"][name] = dataset_info(obj, max_values)
            else:
                out["groups"][name] = {"attrs": attrs_of(obj)}

        f.visititems(visit)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
