#!/usr/bin/env bash
# Builds lib/adapters/hdf5/engine/wasm/hdf5-engine.{mjs,wasm}: libhdf5 1.10.8 (Debian) + zlib + LZ4 + the
# bitshuffle filter (32008), compiled to WebAssembly with Debian's emscripten 3.1.6, plus our C shim.
#
#   native/hdf5-wasm/build.sh              everything, from a clean machine (root: installs pinned apt packages)
#   native/hdf5-wasm/build.sh --link-only  reuse the libraries of a previous run, recompile the shim and link
#
# Every input is pinned: apt packages by version, source tarballs (fetched with `apt-get source`) by sha256.
# Two runs give byte-identical output (fixed build directory, -ffile-prefix-map, no embedded build info).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$REPO/lib/adapters/hdf5/engine/wasm"
WORK="${HDF5_WASM_WORK:-/tmp/sfdaq-hdf5-wasm}"   # fixed path: part of what makes the build reproducible
JOBS="${JOBS:-$(nproc)}"
LINK_ONLY=0 LIBS_ONLY=0
[[ "${1:-}" == "--link-only" ]] && LINK_ONLY=1
[[ "${1:-}" == "--libs-only" ]] && LIBS_ONLY=1

# ---- pinned inputs ---------------------------------------------------------------------------------
APT_PINS=(
  emscripten=3.1.6~dfsg-5
  binaryen=108-1
  clang-14=1:14.0.6-12
  lld-14=1:14.0.6-12
  llvm-14=1:14.0.6-12
  cmake=3.25.1-1
  node-acorn=8.8.1+ds+~cs25.17.7-2
)
# source package=version  tarball  sha256
SOURCES=(
  "hdf5=1.10.8+repack1-1 hdf5_1.10.8+repack1.orig.tar.gz 7b38e58ff83b13fd8959a90b13bf896bc318ba096c940ab0847abf3ad41a0b31"
  "zlib=1:1.2.13.dfsg-1 zlib_1.2.13.dfsg.orig.tar.bz2 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
  "lz4=1.9.4-1 lz4_1.9.4.orig.tar.gz 0b0e3aa07c8c063ddf40b082bdf7e37a1562bda40a0ff5272957f3e987e0e54b"
  # Debian's own `bitshuffle` source package (0.3.5-4) is not downloadable from the archive (404 for its
  # tarballs); Debian's hdf5-filter-plugin (HDF Group's hdf5_plugins) carries bitshuffle's C sources
  # (bitshuffle.c, iochain.h, bshuf_h5filter.c; same chunk format as bitshuffle 0.3.5).
  "hdf5-filter-plugin=0.0~git20221111.49e3b65-4 hdf5-filter-plugin_0.0~git20221111.49e3b65.orig.tar.xz 583704a7410c1a021ce88c7165e5d3cc41e40024f8d9cd28de00ad009abaee34"
)

log() { printf '[build %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ensure_apt() {
  local missing=()
  for pin in "${APT_PINS[@]}"; do
    local pkg="${pin%%=*}" ver="${pin#*=}"
    [[ "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)" == "$ver" ]] || missing+=("$pin")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/sfdaq-deb-src.sources
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      >/etc/apt/sources.list.d/sfdaq-deb-src.sources
    apt-get update -qq
  fi
}

fetch_sources() {
  mkdir -p "$WORK/downloads"
  for line in "${SOURCES[@]}"; do
    read -r pkgver tarball sha <<<"$line"
    local f="$WORK/downloads/$tarball"
    if [[ ! -f "$f" ]] || ! echo "$sha  $f" | sha256sum -c --quiet - 2>/dev/null; then
      log "apt-get source $pkgver"
      (cd "$WORK/downloads" && apt-get source --download-only --tar-only "$pkgver" >/dev/null 2>&1 || true)
    fi
    [[ -f "$f" ]] || { echo "could not fetch $tarball ($pkgver)" >&2; exit 1; }
    echo "$sha  $f" | sha256sum -c --quiet - || { echo "sha256 mismatch: $tarball" >&2; exit 1; }
  done
}

unpack() { # tarball dest
  rm -rf "$2"; mkdir -p "$2"
  tar -xf "$WORK/downloads/$1" -C "$2" --strip-components=1
}

# ---- toolchain settings ----------------------------------------------------------------------------
export NODE_PATH=/usr/share/nodejs          # pitfall 4: emscripten's JS tools need Debian's acorn
export SOURCE_DATE_EPOCH=1672531200
export LC_ALL=C TZ=UTC
NODE_BIN="$(command -v node)"
SRC="$WORK/src"
B="$WORK/build"
PREFIX_MAP="-ffile-prefix-map=$WORK=/hdf5-wasm -ffile-prefix-map=$HERE=/shim"
CFLAGS_COMMON="-O2 -msimd128 $PREFIX_MAP -DNDEBUG"

build_libs() {
  rm -rf "$SRC" "$B"; mkdir -p "$SRC" "$B"
  unpack hdf5_1.10.8+repack1.orig.tar.gz "$SRC/hdf5"
  unpack zlib_1.2.13.dfsg.orig.tar.bz2 "$SRC/zlib"
  unpack lz4_1.9.4.orig.tar.gz "$SRC/lz4"
  unpack hdf5-filter-plugin_0.0~git20221111.49e3b65.orig.tar.xz "$SRC/plugins"

  log "zlib"
  mkdir -p "$B/zlib/obj" "$B/zlib/include"
  local zsrc=(adler32 crc32 deflate inffast inflate inftrees trees zutil compress uncompr)
  for f in "${zsrc[@]}"; do
    emcc $CFLAGS_COMMON -DHAVE_UNISTD_H -c "$SRC/zlib/$f.c" -o "$B/zlib/obj/$f.o"
  done
  emar rcs "$B/zlib/libz.a" "$B"/zlib/obj/*.o
  cp "$SRC/zlib/zlib.h" "$SRC/zlib/zconf.h" "$B/zlib/include/"

  log "libhdf5 configure (HDF5's generators run under node)"
  # pitfall 1: our own emulator (emcmake's passes --experimental-wasm-threads, rejected by Node 20);
  # pitfall 2: --no-experimental-fetch, or emscripten 3.1.6 fetch()es the .wasm by file path;
  # pitfall 3: try_run programs write their results to files: NODERAWFS, and EXIT_RUNTIME so that
  # stdio is flushed at exit (else pac_Cconftest.out comes out empty and configure fails).
  # try_run programs write their answers into the current directory, read back from the build directory.
  mkdir -p "$B/hdf5"
  (cd "$B/hdf5" && emcmake cmake -S "$SRC/hdf5" -B "$B/hdf5" -G "Unix Makefiles" \
    -DCMAKE_CROSSCOMPILING_EMULATOR="$NODE_BIN;--no-experimental-fetch" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$CFLAGS_COMMON" \
    -DCMAKE_C_FLAGS_RELEASE="-O2" \
    -DCMAKE_EXE_LINKER_FLAGS="-sNODERAWFS=1 -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH=1" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DHDF5_BUILD_TOOLS=OFF -DHDF5_BUILD_UTILS=OFF -DHDF5_BUILD_EXAMPLES=OFF \
    -DHDF5_BUILD_CPP_LIB=OFF -DHDF5_BUILD_FORTRAN=OFF -DHDF5_BUILD_JAVA=OFF -DHDF5_BUILD_HL_LIB=OFF \
    -DHDF5_ENABLE_SZIP_SUPPORT=OFF -DHDF5_ENABLE_THREADSAFE=OFF -DHDF5_ENABLE_PARALLEL=OFF \
    -DHDF5_ENABLE_Z_LIB_SUPPORT=ON -DHDF5_ALLOW_EXTERNAL_SUPPORT=NO \
    -DZLIB_INCLUDE_DIR="$B/zlib/include" -DZLIB_LIBRARY="$B/zlib/libz.a" \
    -DHDF5_ENABLE_EMBEDDED_LIBINFO=OFF \
    -DHDF5_ENABLE_DEBUG_APIS=OFF -DHDF5_ENABLE_TRACE=OFF \
    -DHDF5_ENABLE_DIRECT_VFD=OFF -DHDF5_ENABLE_ROS3_VFD=OFF -DHDF5_ENABLE_HDFS=OFF \
    -DHDF5_ENABLE_USING_MEMCHECKER=OFF -DHDF5_MEMORY_ALLOC_SANITY_CHECK=OFF \
    >"$WORK/hdf5-configure.log" 2>&1) || { tail -50 "$WORK/hdf5-configure.log"; exit 1; }
  grep -E 'H5_SIZEOF_(SIZE_T|LONG|OFF_T|LONG_LONG) ' "$B/hdf5/src/H5pubconf.h" >&2 || true

  log "libhdf5 make"
  make -C "$B/hdf5" -j"$JOBS" hdf5-static >"$WORK/hdf5-make.log" 2>&1 || { tail -50 "$WORK/hdf5-make.log"; exit 1; }
}

build_link() {
  log "lz4 + bitshuffle + shim"
  local O="$B/engine"; rm -rf "$O"; mkdir -p "$O"
  emcc $CFLAGS_COMMON -O3 -c "$SRC/lz4/lib/lz4.c" -o "$O/lz4.o"
  local BS="$SRC/plugins/bitshuffle/src"
  # LZ4_decompress_fast trusts its input; blobs come from outside (the Data API): use the safe decoder.
  # This bitshuffle gives LZ4 an output capacity of the block's own size: a block that does not compress
  # (noise, or a tiny image) comes out as length 0, a chunk no reader can decode. Give it LZ4's bound.
  sed -e 's|^#define BSHUF_LZ4_DECOMPRESS_FAST|/* BSHUF_LZ4_DECOMPRESS_FAST off: safe decoder */|' \
      -e 's|LZ4_compress_default(tmp_buf_bshuf, tmp_buf_lz4, size \* elem_size,size\*elem_size)|LZ4_compress_default(tmp_buf_bshuf, tmp_buf_lz4, size * elem_size, LZ4_compressBound(size * elem_size))|' \
      "$BS/bitshuffle.c" >"$O/bitshuffle.c"
  grep -q 'BSHUF_LZ4_DECOMPRESS_FAST off' "$O/bitshuffle.c"
  grep -q 'size \* elem_size, LZ4_compressBound(size \* elem_size))' "$O/bitshuffle.c"
  # -msse2: bitshuffle's SSE2 path, through emscripten's SSE-on-wasm-SIMD headers.
  emcc $CFLAGS_COMMON -O3 -msse2 -I"$BS" -I"$SRC/lz4/lib" -c "$O/bitshuffle.c" -o "$O/bitshuffle.o"
  local HINC=(-I"$SRC/hdf5/src" -I"$B/hdf5" -I"$B/hdf5/src")
  emcc $CFLAGS_COMMON "${HINC[@]}" -I"$BS" -I"$SRC/lz4/lib" -c "$BS/bshuf_h5filter.c" -o "$O/bshuf_h5filter.o"
  emcc $CFLAGS_COMMON -Wall -Werror "${HINC[@]}" -I"$BS" -I"$SRC/lz4/lib" -c "$HERE/shim.c" -o "$O/shim.o"

  local HLIB; HLIB="$(find "$B/hdf5" -name 'libhdf5*.a' | head -1)"
  log "link ($HLIB)"
  local EXPORTS; EXPORTS="$(grep -oE 'EMSCRIPTEN_KEEPALIVE[^(]*\b(h5e_[a-z0-9_]+)\(' "$HERE/shim.c" | grep -oE 'h5e_[a-z0-9_]+' | sort -u | sed 's/^/"_/;s/$/"/' | paste -sd, -)"
  emcc -O2 $PREFIX_MAP \
    "$O/shim.o" "$O/bshuf_h5filter.o" "$O/bitshuffle.o" "$O/lz4.o" "$HLIB" "$B/zlib/libz.a" \
    -o "$O/hdf5-engine.mjs" \
    -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createHdf5Engine -sENVIRONMENT=node \
    -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=2GB \
    -sEXIT_RUNTIME=0 -sINVOKE_RUN=0 -sFILESYSTEM=1 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
    -sEXPORTED_FUNCTIONS="[\"_malloc\",\"_free\",$EXPORTS]" \
    -sEXPORTED_RUNTIME_METHODS='["UTF8ToString","stringToUTF8","lengthBytesUTF8"]' \
    --js-library "$HERE/library-fd64.js" \
    --extern-pre-js "$HERE/extern-pre.js" \
    >"$WORK/link.log" 2>&1 || { cat "$WORK/link.log"; exit 1; }
  # pitfall 6: the 64-bit offset fix must be in the output, not emscripten's i32 versions.
  [[ "$(grep -oF 'offset_high*4294967296+(offset_low>>>0)' "$O/hdf5-engine.mjs" | wc -l)" == 2 &&
     "$(grep -oF 'ftruncate64(fd,low,high){try{var length=high*4294967296+(low>>>0)' "$O/hdf5-engine.mjs" | wc -l)" == 1 ]] ||
    { echo "the 64-bit offset fix (library-fd64.js) is missing from the generated JS" >&2; exit 1; }
  cp "$O/hdf5-engine.mjs" "$O/hdf5-engine.wasm" "$OUT/"
  log "done: $(stat -c %s "$OUT/hdf5-engine.wasm") B wasm, $(stat -c %s "$OUT/hdf5-engine.mjs") B js"
  sha256sum "$OUT/hdf5-engine.wasm" "$OUT/hdf5-engine.mjs" | sed "s|$REPO/||" >&2
}

if ((LINK_ONLY)); then
  [[ -d "$B/hdf5" ]] || { echo "no previous build in $B: run without --link-only" >&2; exit 1; }
  build_link
else
  ensure_apt
  fetch_sources
  build_libs
  ((LIBS_ONLY)) || build_link
fi
