/*
 * The C side of lib/adapters/hdf5/engine: a small, flat API over libhdf5 1.10.8 for the TypeScript
 * wrapper. Conventions:
 *   - objects are int32 handles into a table of hid_t (hid_t is 64-bit; JS gets no BigInt plumbing);
 *   - sizes, dims and offsets cross as doubles (exact below 2^53);
 *   - every function returns >= 0 on success, -1 on failure, with h5e_last_error() describing it
 *     (HDF5's error stack, innermost first; HDF5's own printing is switched off).
 */
#include <emscripten/emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdf5.h"
#include "bitshuffle.h"
#include "bshuf_h5filter.h"

uint64_t bshuf_read_uint64_BE(void *buf);
uint32_t bshuf_read_uint32_BE(void *buf);
void bshuf_write_uint64_BE(void *buf, uint64_t num);
void bshuf_write_uint32_BE(void *buf, uint32_t num);

/* ---- errors ------------------------------------------------------------------------------------ */

static char last_error[4096];

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    (void)data;
    size_t used = strlen(last_error);
    if (used >= sizeof(last_error) - 8) return 0;
    char minor[128] = "";
    H5Eget_msg(e->min_num, NULL, minor, sizeof(minor));
    snprintf(last_error + used, sizeof(last_error) - used, "%s%s (%s)%s%s", n ? "; " : ": ",
             e->desc ? e->desc : "", e->func_name ? e->func_name : "?", minor[0] ? ": " : "", minor);
    return 0;
}

/* The error stack of the first failed call since the last fail(): cleanup calls made before fail()
 * (H5Pclose, H5Sclose, ...) are API calls, and each API call clears the current stack. */
static hid_t saved_stack = -1;

/* Passes a result through; on failure keeps HDF5's error stack for fail(). */
static int64_t kept(int64_t r) {
    if (r < 0 && saved_stack < 0) saved_stack = H5Eget_current_stack();
    return r;
}

/* Records `what` plus HDF5's error stack as the last error, clears the stack; returns -1. */
static int fail(const char *what) {
    snprintf(last_error, sizeof(last_error), "%s", what);
    hid_t stack = saved_stack >= 0 ? saved_stack : H5E_DEFAULT;
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, walk_cb, NULL);
    if (saved_stack >= 0) H5Eclose_stack(saved_stack);
    saved_stack = -1;
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

static int fail_msg(const char *what) {
    snprintf(last_error, sizeof(last_error), "%s", what);
    if (saved_stack >= 0) H5Eclose_stack(saved_stack);
    saved_stack = -1;
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

EMSCRIPTEN_KEEPALIVE const char *h5e_last_error(void) { return last_error; }

/* ---- handles ----------------------------------------------------------------------------------- */

#define MAX_HANDLES 65536
static hid_t handles[MAX_HANDLES];
static int next_free = 1;

static int put(hid_t id) {
    if (id < 0) return -1;
    for (int n = 0; n < MAX_HANDLES - 1; n++) {
        int h = next_free;
        next_free = next_free + 1 >= MAX_HANDLES ? 1 : next_free + 1;
        if (handles[h] == 0) { handles[h] = id; return h; }
    }
    H5Oclose(id);
    return fail_msg("too many open HDF5 objects");
}

static hid_t get(int h) {
    if (h <= 0 || h >= MAX_HANDLES || handles[h] == 0) {
        fail_msg("invalid or closed handle");
        return -1;
    }
    return handles[h];
}

/* ---- library ----------------------------------------------------------------------------------- */

EMSCRIPTEN_KEEPALIVE int h5e_init(void) {
    if (H5open() < 0) return fail("H5open failed");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5PLset_loading_state(0); /* no dlopen in wasm: every filter we have is compiled in */
    if (!H5Zfilter_avail(BSHUF_H5FILTER) && bshuf_register_h5filter() < 0) return fail("registering bitshuffle");
    return 0;
}

EMSCRIPTEN_KEEPALIVE int h5e_filter_avail(int id) { return H5Zfilter_avail((H5Z_filter_t)id) > 0; }
EMSCRIPTEN_KEEPALIVE int h5e_bshuf_using_sse2(void) { return bshuf_using_SSE2(); }
EMSCRIPTEN_KEEPALIVE int h5e_open_object_count(void) {
    int n = 0;
    for (int h = 1; h < MAX_HANDLES; h++) n += handles[h] != 0;
    return n;
}

/* ---- files ------------------------------------------------------------------------------------- */

static hid_t file_access(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG); /* closing a file closes what is still open in it */
    H5Pset_file_locking(fapl, 0, 1);              /* flock means nothing across wasm instances */
    return fapl;
}

/** truncate: 1 = H5F_ACC_TRUNC (replace), 0 = H5F_ACC_EXCL (fail if it exists). */
EMSCRIPTEN_KEEPALIVE int h5e_file_create(const char *path, int truncate) {
    hid_t fapl = file_access();
    hid_t f = kept(H5Fcreate(path, truncate ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl));
    H5Pclose(fapl);
    if (f < 0) return fail("cannot create file");
    return put(f);
}

EMSCRIPTEN_KEEPALIVE int h5e_file_open(const char *path, int writable) {
    hid_t fapl = file_access();
    hid_t f = kept(H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl));
    H5Pclose(fapl);
    if (f < 0) return fail("cannot open file");
    return put(f);
}

EMSCRIPTEN_KEEPALIVE int h5e_flush(int h) {
    hid_t id = get(h);
    if (id < 0) return -1;
    if (H5Fflush(id, H5F_SCOPE_GLOBAL) < 0) return fail("flush failed");
    return 0;
}

/** Closes any handle. Closing a file also invalidates the handles of objects inside it. */
EMSCRIPTEN_KEEPALIVE int h5e_close(int h) {
    hid_t id = get(h);
    if (id < 0) return -1;
    handles[h] = 0;
    herr_t r;
    switch (H5Iget_type(id)) {
    case H5I_FILE: {
        /* forget our handles of objects in this file (CLOSE_STRONG closes them) */
        for (int k = 1; k < MAX_HANDLES; k++) {
            if (handles[k] == 0) continue;
            H5I_type_t t = H5Iget_type(handles[k]);
            if (t == H5I_GROUP || t == H5I_DATASET) {
                /* H5Iget_file_id returns the file's own id (one more reference) */
                hid_t fk = H5Iget_file_id(handles[k]);
                if (fk >= 0) {
                    int same = fk == id;
                    H5Fclose(fk);
                    if (same) { H5Oclose(handles[k]); handles[k] = 0; }
                }
            }
        }
        r = H5Fclose(id);
        break;
    }
    case H5I_GROUP: r = H5Gclose(id); break;
    case H5I_DATASET: r = H5Dclose(id); break;
    default: r = H5Oclose(id); break;
    }
    if (r < 0) return fail("close failed");
    return 0;
}

/* ---- groups and links -------------------------------------------------------------------------- */

static hid_t link_create_plist(void) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    H5Pset_char_encoding(lcpl, H5T_CSET_UTF8);
    return lcpl;
}

static hid_t group_create_plist(void) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0); /* as h5py: no times, so equal content gives equal files */
    return gcpl;
}

/** Creates a group (and missing parents) below loc; returns its handle. */
EMSCRIPTEN_KEEPALIVE int h5e_group_create(int loc, const char *name) {
    hid_t l = get(loc);
    if (l < 0) return -1;
    hid_t lcpl = link_create_plist(), gcpl = group_create_plist();
    hid_t g = kept(H5Gcreate2(l, name, lcpl, gcpl, H5P_DEFAULT));
    H5Pclose(lcpl);
    H5Pclose(gcpl);
    if (g < 0) return fail("cannot create group");
    return put(g);
}

/** Opens a group or dataset by path below loc. */
EMSCRIPTEN_KEEPALIVE int h5e_object_open(int loc, const char *name) {
    hid_t l = get(loc);
    if (l < 0) return -1;
    hid_t o = kept(H5Oopen(l, name, H5P_DEFAULT));
    if (o < 0) return fail("cannot open object");
    return put(o);
}

/** 1 if every component of the path exists below loc (link and object), 0 if not, -1 on error. */
EMSCRIPTEN_KEEPALIVE int h5e_exists(int loc, const char *path) {
    hid_t l = get(loc);
    if (l < 0) return -1;
    size_t n = strlen(path);
    char *buf = malloc(n + 1);
    if (!buf) return fail_msg("out of memory");
    memcpy(buf, path, n + 1);
    int result = 1;
    for (size_t i = 1; i <= n && result == 1; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char save = buf[i];
            buf[i] = '\0';
            if (!(i == 1 && buf[0] == '/')) {
                htri_t e = H5Lexists(l, buf, H5P_DEFAULT);
                if (e > 0) e = H5Oexists_by_name(l, buf, H5P_DEFAULT);
                if (e < 0) { H5Eclear2(H5E_DEFAULT); e = 0; }
                result = e > 0 ? 1 : 0;
            }
            buf[i] = save;
        }
    }
    free(buf);
    return result;
}

/** 0 group, 1 dataset, 2 other, -1 error. */
EMSCRIPTEN_KEEPALIVE int h5e_object_kind(int h) {
    hid_t id = get(h);
    if (id < 0) return -1;
    H5I_type_t t = H5Iget_type(id);
    return t == H5I_GROUP || t == H5I_FILE ? 0 : t == H5I_DATASET ? 1 : 2;
}

/* ---- types ------------------------------------------------------------------------------------- */

/* dtype codes shared with the wrapper (dtypes.ts); | 0x100 = big-endian; DT_STR_FIXED carries its length
 * in bits 16..31 (h5py's numpy 'S<n>': fixed-length ASCII, null-padded) */
enum {
    DT_I8 = 0, DT_U8, DT_I16, DT_U16, DT_I32, DT_U32, DT_I64, DT_U64, DT_F32, DT_F64,
    DT_BOOL = 10, DT_STR_UTF8 = 11, DT_STR_ASCII = 12, DT_STR_FIXED = 13
};
#define DT_BE 0x100
#define DT_LEN_SHIFT 16

/** A new type id (caller closes) for a dtype code; memory == 1 gives the native (little-endian) twin. */
static hid_t make_type(int code, int memory) {
    int be = (code & DT_BE) && !memory;
    hid_t base;
    switch (code & 0xff) {
    case DT_I8: base = be ? H5T_STD_I8BE : H5T_STD_I8LE; break;
    case DT_U8: base = be ? H5T_STD_U8BE : H5T_STD_U8LE; break;
    case DT_I16: base = be ? H5T_STD_I16BE : H5T_STD_I16LE; break;
    case DT_U16: base = be ? H5T_STD_U16BE : H5T_STD_U16LE; break;
    case DT_I32: base = be ? H5T_STD_I32BE : H5T_STD_I32LE; break;
    case DT_U32: base = be ? H5T_STD_U32BE : H5T_STD_U32LE; break;
    case DT_I64: base = be ? H5T_STD_I64BE : H5T_STD_I64LE; break;
    case DT_U64: base = be ? H5T_STD_U64BE : H5T_STD_U64LE; break;
    case DT_F32: base = be ? H5T_IEEE_F32BE : H5T_IEEE_F32LE; break;
    case DT_F64: base = be ? H5T_IEEE_F64BE : H5T_IEEE_F64LE; break;
    case DT_BOOL: {
        /* h5py's numpy.bool: an enum over int8 with FALSE = 0, TRUE = 1 */
        hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
        int8_t v = 0;
        H5Tenum_insert(t, "FALSE", &v);
        v = 1;
        H5Tenum_insert(t, "TRUE", &v);
        return t;
    }
    case DT_STR_UTF8:
    case DT_STR_ASCII: {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, (code & 0xff) == DT_STR_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        H5Tset_strpad(t, H5T_STR_NULLTERM);
        return t;
    }
    case DT_STR_FIXED: {
        /* as h5py stores numpy 'S<n>': ASCII, null-padded, exactly n bytes per element */
        size_t n = (size_t)((unsigned)code >> DT_LEN_SHIFT);
        if (n == 0) { fail_msg("a fixed-length string needs a length"); return -1; }
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, n);
        H5Tset_cset(t, H5T_CSET_ASCII);
        H5Tset_strpad(t, H5T_STR_NULLPAD);
        return t;
    }
    default:
        fail_msg("unknown dtype code");
        return -1;
    }
    return H5Tcopy(base);
}

/* ---- dataspaces -------------------------------------------------------------------------------- */

/** rank 0 = scalar; maxdims[i] < 0 = unlimited; maxdims NULL = fixed. */
static hid_t make_space(int rank, const double *dims, const double *maxdims) {
    if (rank == 0) return H5Screate(H5S_SCALAR);
    if (rank < 0 || rank > 32) { fail_msg("rank out of range"); return -1; }
    hsize_t d[32], m[32];
    for (int i = 0; i < rank; i++) {
        d[i] = (hsize_t)dims[i];
        m[i] = maxdims ? (maxdims[i] < 0 ? H5S_UNLIMITED : (hsize_t)maxdims[i]) : d[i];
    }
    return kept(H5Screate_simple(rank, d, m));
}

/** Selects [start, start+count) in a copy of the dataset's file space; also makes the memory space. */
static int select_slab(hid_t ds, int rank, const double *start, const double *count, hid_t *fspace, hid_t *mspace) {
    *fspace = H5Dget_space(ds);
    if (*fspace < 0) return fail("cannot get dataspace");
    int drank = H5Sget_simple_extent_ndims(*fspace);
    if (drank != rank) {
        H5Sclose(*fspace);
        snprintf(last_error, sizeof(last_error), "selection has rank %d, dataset has rank %d", rank, drank);
        return -1;
    }
    if (rank == 0) {
        *mspace = H5Screate(H5S_SCALAR);
        return 0;
    }
    hsize_t s[32], c[32];
    for (int i = 0; i < rank; i++) { s[i] = (hsize_t)start[i]; c[i] = (hsize_t)count[i]; }
    if (kept(H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, s, NULL, c, NULL)) < 0 || H5Sselect_valid(*fspace) <= 0) {
        H5Sclose(*fspace);
        return fail("selection outside the dataset's extent");
    }
    *mspace = H5Screate_simple(rank, c, NULL);
    return 0;
}

/* ---- datasets ---------------------------------------------------------------------------------- */

/*
 * opts (int32[]):
 *   [0] layout: 0 contiguous, 1 chunked, 2 compact
 *   [1] alloc time: 0 default, 1 early, 2 incremental, 3 late
 *   [2] shuffle (0/1)
 *   [3] deflate level, -1 = none
 *   [4] bitshuffle: 0 none, 1 bitshuffle + LZ4 (filter 32008)
 *   [5] bitshuffle block size (elements, 0 = default)
 *   [6] fletcher32 (0/1)
 *   [7] fill value: 0 library default, 1 none written (H5D_FILL_TIME_NEVER)
 */
EMSCRIPTEN_KEEPALIVE int h5e_dataset_create(int loc, const char *name, int dtype, int rank, const double *dims,
                                            const double *maxdims, const double *chunks, const int32_t *opts) {
    hid_t l = get(loc);
    if (l < 0) return -1;
    hid_t type = make_type(dtype, 0);
    if (type < 0) return -1;
    hid_t space = make_space(rank, dims, maxdims);
    if (space < 0) { H5Tclose(type); return fail("bad shape"); }
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    int ok = 1;
    switch (opts[0]) {
    case 1: {
        hsize_t c[32];
        for (int i = 0; i < rank; i++) c[i] = (hsize_t)chunks[i];
        ok = kept(H5Pset_chunk(dcpl, rank, c)) >= 0;
        if (ok && opts[6]) ok = H5Pset_fletcher32(dcpl) >= 0;
        if (ok && opts[2]) ok = H5Pset_shuffle(dcpl) >= 0;
        if (ok && opts[4]) {
            unsigned cd[2] = {(unsigned)opts[5], BSHUF_H5_COMPRESS_LZ4};
            ok = kept(H5Pset_filter(dcpl, BSHUF_H5FILTER, H5Z_FLAG_OPTIONAL, 2, cd)) >= 0;
        }
        if (ok && opts[3] >= 0) ok = kept(H5Pset_deflate(dcpl, (unsigned)opts[3])) >= 0;
        break;
    }
    case 2: ok = H5Pset_layout(dcpl, H5D_COMPACT) >= 0; break;
    default: ok = H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0; break;
    }
    if (ok && opts[1]) {
        H5D_alloc_time_t at = opts[1] == 1 ? H5D_ALLOC_TIME_EARLY : opts[1] == 2 ? H5D_ALLOC_TIME_INCR : H5D_ALLOC_TIME_LATE;
        ok = kept(H5Pset_alloc_time(dcpl, at)) >= 0;
    }
    if (ok && opts[7]) ok = H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0;
    hid_t ds = -1;
    if (ok) {
        hid_t lcpl = link_create_plist();
        ds = kept(H5Dcreate2(l, name, type, space, lcpl, dcpl, H5P_DEFAULT));
        H5Pclose(lcpl);
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
    if (ds < 0) return fail("cannot create dataset");
    return put(ds);
}

/** Rank of the dataset's space; fills dims and maxdims (-1 = unlimited), up to 32 each. */
EMSCRIPTEN_KEEPALIVE int h5e_dataset_shape(int h, double *dims, double *maxdims) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t space = H5Dget_space(ds);
    if (space < 0) return fail("cannot get dataspace");
    hsize_t d[32], m[32];
    int rank = H5Sget_simple_extent_dims(space, d, m);
    H5Sclose(space);
    if (rank < 0) return fail("cannot read extent");
    for (int i = 0; i < rank; i++) {
        dims[i] = (double)d[i];
        maxdims[i] = m[i] == H5S_UNLIMITED ? -1.0 : (double)m[i];
    }
    return rank;
}

/** The dtype code of a dataset (see make_type), or -1 for a type the wrapper does not know. */
EMSCRIPTEN_KEEPALIVE int h5e_dataset_dtype(int h) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t t = H5Dget_type(ds);
    if (t < 0) return fail("cannot get type");
    int code = -1;
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    int be = H5Tget_order(t) == H5T_ORDER_BE ? DT_BE : 0;
    if (cls == H5T_INTEGER) {
        int sgn = H5Tget_sign(t) == H5T_SGN_2;
        switch (size) {
        case 1: code = sgn ? DT_I8 : DT_U8; break;
        case 2: code = sgn ? DT_I16 : DT_U16; break;
        case 4: code = sgn ? DT_I32 : DT_U32; break;
        case 8: code = sgn ? DT_I64 : DT_U64; break;
        }
        if (code >= 0 && size > 1) code |= be;
    } else if (cls == H5T_FLOAT) {
        code = size == 4 ? DT_F32 | be : size == 8 ? DT_F64 | be : -1;
    } else if (cls == H5T_ENUM && size == 1) {
        code = DT_BOOL;
    } else if (cls == H5T_STRING && H5Tis_variable_str(t) > 0) {
        code = H5Tget_cset(t) == H5T_CSET_UTF8 ? DT_STR_UTF8 : DT_STR_ASCII;
    } else if (cls == H5T_STRING && size > 0 && size < 0x8000) {
        code = DT_STR_FIXED | (int)(size << DT_LEN_SHIFT);
    }
    H5Tclose(t);
    return code;
}

EMSCRIPTEN_KEEPALIVE int h5e_dataset_resize(int h, int rank, const double *dims) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hsize_t d[32];
    if (rank < 1 || rank > 32) return fail_msg("rank out of range");
    for (int i = 0; i < rank; i++) d[i] = (hsize_t)dims[i];
    if (H5Dset_extent(ds, d) < 0) return fail("cannot resize dataset");
    return 0;
}

/** Writes numeric/bool data (little-endian, native layout) into [start, start+count). */
EMSCRIPTEN_KEEPALIVE int h5e_dataset_write(int h, int dtype, int rank, const double *start, const double *count,
                                           const void *buf) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t fspace, mspace;
    if (select_slab(ds, rank, start, count, &fspace, &mspace) < 0) return -1;
    hid_t mtype = make_type(dtype, 1);
    herr_t r = mtype < 0 ? -1 : kept(H5Dwrite(ds, mtype, mspace, fspace, H5P_DEFAULT, buf));
    if (mtype >= 0) H5Tclose(mtype);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (r < 0) return fail("cannot write dataset");
    return 0;
}

EMSCRIPTEN_KEEPALIVE int h5e_dataset_read(int h, int dtype, int rank, const double *start, const double *count,
                                          void *buf) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t fspace, mspace;
    if (select_slab(ds, rank, start, count, &fspace, &mspace) < 0) return -1;
    hid_t mtype = make_type(dtype, 1);
    herr_t r = mtype < 0 ? -1 : kept(H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, buf));
    if (mtype >= 0) H5Tclose(mtype);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (r < 0) return fail("cannot read dataset");
    return 0;
}

/** Writes variable-length strings: strs is an array of NUL-terminated UTF-8 pointers, one per element. */
EMSCRIPTEN_KEEPALIVE int h5e_dataset_write_strings(int h, int rank, const double *start, const double *count,
                                                   const char **strs) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t fspace, mspace;
    if (select_slab(ds, rank, start, count, &fspace, &mspace) < 0) return -1;
    hid_t ftype = H5Dget_type(ds);
    hid_t mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    herr_t r = kept(H5Dwrite(ds, mtype, mspace, fspace, H5P_DEFAULT, strs));
    H5Tclose(mtype);
    H5Tclose(ftype);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (r < 0) return fail("cannot write strings");
    return 0;
}

/**
 * Reads variable-length strings into one buffer: each string NUL-terminated, back to back. Returns the
 * bytes needed; when out_cap is too small nothing is copied (call again with a buffer that large).
 */
EMSCRIPTEN_KEEPALIVE double h5e_dataset_read_strings(int h, int rank, const double *start, const double *count,
                                                     char *out, double out_cap) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hid_t fspace, mspace;
    if (select_slab(ds, rank, start, count, &fspace, &mspace) < 0) return -1;
    hssize_t n = H5Sget_select_npoints(mspace);
    char **ptrs = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
    hid_t ftype = H5Dget_type(ds);
    hid_t mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    herr_t r = ptrs ? kept(H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, ptrs)) : -1;
    double need = 0;
    if (r >= 0) {
        for (hssize_t i = 0; i < n; i++) need += (ptrs[i] ? strlen(ptrs[i]) : 0) + 1;
        if (need <= out_cap) {
            char *p = out;
            for (hssize_t i = 0; i < n; i++) {
                size_t len = ptrs[i] ? strlen(ptrs[i]) : 0;
                if (len) memcpy(p, ptrs[i], len);
                p[len] = '\0';
                p += len + 1;
            }
        }
        H5Dvlen_reclaim(mtype, mspace, H5P_DEFAULT, ptrs);
    }
    free(ptrs);
    H5Tclose(mtype);
    H5Tclose(ftype);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (r < 0) return fail("cannot read strings");
    return need;
}

/** File offset of a contiguous dataset's data (H5Dget_offset); -1 if it has none (chunked, unallocated). */
EMSCRIPTEN_KEEPALIVE double h5e_dataset_offset(int h) {
    hid_t ds = get(h);
    if (ds < 0) return -2;
    haddr_t a = H5Dget_offset(ds);
    H5Eclear2(H5E_DEFAULT);
    return a == HADDR_UNDEF ? -1.0 : (double)a;
}

/** Bytes allocated in the file for the dataset's data. */
EMSCRIPTEN_KEEPALIVE double h5e_dataset_storage_size(int h) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    return (double)H5Dget_storage_size(ds);
}

/** H5Dwrite_chunk: stores bytes as the chunk at the given element offset, filters not applied. */
EMSCRIPTEN_KEEPALIVE int h5e_write_chunk(int h, int rank, const double *offset, int filter_mask, const void *buf,
                                         double size) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hsize_t o[32];
    if (rank < 1 || rank > 32) return fail_msg("rank out of range");
    for (int i = 0; i < rank; i++) o[i] = (hsize_t)offset[i];
    if (H5Dwrite_chunk(ds, H5P_DEFAULT, (uint32_t)filter_mask, o, (size_t)size, buf) < 0)
        return fail("cannot write chunk");
    return 0;
}

/** H5Dread_chunk: the stored bytes of one chunk; returns the size (copies only when it fits). */
EMSCRIPTEN_KEEPALIVE double h5e_read_chunk(int h, int rank, const double *offset, void *out, double out_cap,
                                           uint32_t *filter_mask) {
    hid_t ds = get(h);
    if (ds < 0) return -1;
    hsize_t o[32], nbytes = 0;
    if (rank < 1 || rank > 32) return fail_msg("rank out of range");
    for (int i = 0; i < rank; i++) o[i] = (hsize_t)offset[i];
    if (H5Dget_chunk_storage_size(ds, o, &nbytes) < 0) return fail("no such chunk");
    if ((double)nbytes <= out_cap && H5Dread_chunk(ds, H5P_DEFAULT, o, filter_mask, out) < 0)
        return fail("cannot read chunk");
    return (double)nbytes;
}

/*
 * Virtual dataset. maps: nmaps records, each
 *   const char *src_file, const char *src_dset,
 * and nums: per mapping 5 * rank doubles: src_dims, src_start, src_count, dst_start, dst_count.
 */
EMSCRIPTEN_KEEPALIVE int h5e_vds_create(int loc, const char *name, int dtype, int rank, const double *dims,
                                        const double *maxdims, int nmaps, const char **names, const double *nums) {
    hid_t l = get(loc);
    if (l < 0) return -1;
    hid_t type = make_type(dtype, 0);
    if (type < 0) return -1;
    hid_t vspace = make_space(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    int ok = vspace >= 0;
    for (int m = 0; ok && m < nmaps; m++) {
        const double *n = nums + (size_t)m * 5 * rank;
        hsize_t sd[32], ss[32], sc[32], ds[32], dc[32];
        for (int i = 0; i < rank; i++) {
            sd[i] = (hsize_t)n[i];
            ss[i] = (hsize_t)n[rank + i];
            sc[i] = (hsize_t)n[2 * rank + i];
            ds[i] = (hsize_t)n[3 * rank + i];
            dc[i] = (hsize_t)n[4 * rank + i];
        }
        hid_t sspace = H5Screate_simple(rank, sd, NULL);
        ok = sspace >= 0 && kept(H5Sselect_hyperslab(sspace, H5S_SELECT_SET, ss, NULL, sc, NULL)) >= 0 &&
             kept(H5Sselect_hyperslab(vspace, H5S_SELECT_SET, ds, NULL, dc, NULL)) >= 0 &&
             kept(H5Pset_virtual(dcpl, vspace, names[2 * m], names[2 * m + 1], sspace)) >= 0;
        if (sspace >= 0) H5Sclose(sspace);
    }
    hid_t d = -1;
    if (ok) {
        H5Sselect_all(vspace);
        hid_t lcpl = link_create_plist();
        d = kept(H5Dcreate2(l, name, type, vspace, lcpl, dcpl, H5P_DEFAULT));
        H5Pclose(lcpl);
    }
    H5Pclose(dcpl);
    if (vspace >= 0) H5Sclose(vspace);
    H5Tclose(type);
    if (d < 0) return fail("cannot create virtual dataset");
    return put(d);
}

/* ---- attributes -------------------------------------------------------------------------------- */

static hid_t attr_replace(hid_t obj, const char *name, hid_t type, hid_t space) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t acpl = H5Pcreate(H5P_ATTRIBUTE_CREATE);
    H5Pset_char_encoding(acpl, H5T_CSET_UTF8);
    hid_t a = kept(H5Acreate2(obj, name, type, space, acpl, H5P_DEFAULT));
    H5Pclose(acpl);
    return a;
}

/** Numeric attribute: n < 0 scalar, else a 1-D array of n values (little-endian, as the dtype). */
EMSCRIPTEN_KEEPALIVE int h5e_attr_write(int h, const char *name, int dtype, int n, const void *buf) {
    hid_t obj = get(h);
    if (obj < 0) return -1;
    hid_t type = make_type(dtype, 0), mtype = make_type(dtype, 1);
    double d = n;
    hid_t space = n < 0 ? H5Screate(H5S_SCALAR) : make_space(1, &d, NULL);
    hid_t a = attr_replace(obj, name, type, space);
    herr_t r = a < 0 ? -1 : kept(H5Awrite(a, mtype, buf));
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Tclose(mtype);
    if (r < 0) return fail("cannot write attribute");
    return 0;
}

/** String attribute, scalar variable-length UTF-8 (as h5py writes a Python str). */
EMSCRIPTEN_KEEPALIVE int h5e_attr_write_string(int h, const char *name, const char *value) {
    hid_t obj = get(h);
    if (obj < 0) return -1;
    hid_t type = make_type(DT_STR_UTF8, 0);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = attr_replace(obj, name, type, space);
    herr_t r = a < 0 ? -1 : kept(H5Awrite(a, type, &value));
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    if (r < 0) return fail("cannot write attribute");
    return 0;
}

/* ---- bitshuffle + LZ4, the format of filter 32008 ---------------------------------------------- */

/** Upper bound of a 32008 chunk (12-byte header included) for nbytes of data. */
EMSCRIPTEN_KEEPALIVE double h5e_bshuf_bound(double nbytes, int elem_size, int block_size) {
    return (double)bshuf_compress_lz4_bound((size_t)nbytes / elem_size, elem_size, block_size) + 12;
}

/** Compresses nbytes into out (capacity from h5e_bshuf_bound); returns the chunk's size. */
EMSCRIPTEN_KEEPALIVE double h5e_bshuf_compress(const void *in, double nbytes, int elem_size, int block_size,
                                               char *out) {
    size_t n = (size_t)nbytes;
    if (elem_size <= 0 || n % elem_size) return fail_msg("byte count is not a multiple of the element size");
    if (block_size < 0 || block_size % 8) return fail_msg("block size must be a multiple of 8");
    size_t bs = block_size ? (size_t)block_size : bshuf_default_block_size(elem_size);
    bshuf_write_uint64_BE(out, (uint64_t)n);
    bshuf_write_uint32_BE(out + 8, (uint32_t)(bs * elem_size));
    int64_t r = bshuf_compress_lz4((void *)in, out + 12, n / elem_size, elem_size, bs);
    if (r < 0) {
        snprintf(last_error, sizeof(last_error), "bitshuffle compression failed (code %lld)", (long long)r);
        return -1;
    }
    return (double)r + 12;
}

/** The uncompressed size a 32008 chunk declares (its first 8 bytes, big-endian). */
EMSCRIPTEN_KEEPALIVE double h5e_bshuf_declared_size(const void *in) { return (double)bshuf_read_uint64_BE((void *)in); }

/**
 * Decompresses a 32008 chunk of in_size bytes into out (capacity out_cap). The block chain is walked
 * first, so a corrupt or truncated chunk is refused instead of read past its end.
 */
EMSCRIPTEN_KEEPALIVE double h5e_bshuf_decompress(const char *in, double in_size, int elem_size, char *out,
                                                 double out_cap) {
    size_t insz = (size_t)in_size;
    if (insz < 12) return fail_msg("bitshuffle chunk shorter than its 12-byte header");
    uint64_t n = bshuf_read_uint64_BE((void *)in);
    uint32_t block_bytes = bshuf_read_uint32_BE((void *)(in + 8));
    if (elem_size <= 0 || n % elem_size) return fail_msg("declared size is not a multiple of the element size");
    if ((double)n > out_cap) return fail_msg("declared size larger than the output buffer");
    if (block_bytes == 0 || block_bytes % elem_size || (block_bytes / elem_size) % 8)
        return fail_msg("invalid block size in bitshuffle header");
    size_t block = block_bytes / elem_size, size = n / elem_size;
    /* walk the chain: full blocks, the last partial block (a multiple of 8 elements), raw leftovers */
    size_t pos = 12, nblocks = size / block, last = (size % block) - (size % block) % 8;
    for (size_t b = 0; b < nblocks + (last ? 1 : 0); b++) {
        if (pos + 4 > insz) return fail_msg("bitshuffle chunk truncated");
        uint32_t cb = bshuf_read_uint32_BE((void *)(in + pos));
        if (cb > insz - pos - 4) return fail_msg("bitshuffle chunk truncated");
        pos += 4 + cb;
    }
    if (pos + (size % 8) * elem_size != insz) return fail_msg("bitshuffle chunk has the wrong length");
    int64_t r = bshuf_decompress_lz4((void *)(in + 12), out, size, elem_size, block);
    if (r < 0) {
        snprintf(last_error, sizeof(last_error), "bitshuffle decompression failed (code %lld)", (long long)r);
        return -1;
    }
    return (double)n;
}
