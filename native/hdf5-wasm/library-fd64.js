/**
 * sfdaq-fd64: 64-bit file offsets for emscripten 3.1.6's NODERAWFS.
 *
 * emscripten 3.1.6 passes only the low 32 bits of the offset of pwrite/pread (fd_pwrite/fd_pread) and
 * of ftruncate's length to the file system (`offset_low`, `SYSCALLS.get64` returns `low`): a file over
 * 2 GiB is silently written at the wrong place, read from the wrong place, or truncated. These
 * replacements (a --js-library overrides the system library's functions of the same name) combine both
 * halves; Node's fs takes the position as a double, exact below 2^53.
 */
mergeInto(LibraryManager.library, {
  fd_pwrite__deps: ['$SYSCALLS', '$FS'],
  fd_pwrite__sig: 'iiiiiii',
  fd_pwrite: function (fd, iov, iovcnt, offset_low, offset_high, pnum) {
    try {
      var offset = offset_high * 0x100000000 + (offset_low >>> 0); // sfdaq-fd64
      var stream = SYSCALLS.getStreamFromFD(fd);
      var num = 0;
      for (var i = 0; i < iovcnt; i++) {
        var ptr = HEAP32[(iov + i * 8) >> 2];
        var len = HEAP32[(iov + i * 8 + 4) >> 2];
        var curr = FS.write(stream, HEAP8, ptr, len, offset + num);
        if (curr < 0) { num = -1; break; }
        num += curr;
      }
      HEAP32[pnum >> 2] = num;
      return 0;
    } catch (e) {
      if (typeof FS == 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return e.errno;
    }
  },

  fd_pread__deps: ['$SYSCALLS', '$FS'],
  fd_pread__sig: 'iiiiiii',
  fd_pread: function (fd, iov, iovcnt, offset_low, offset_high, pnum) {
    try {
      var offset = offset_high * 0x100000000 + (offset_low >>> 0); // sfdaq-fd64
      var stream = SYSCALLS.getStreamFromFD(fd);
      var num = 0;
      for (var i = 0; i < iovcnt; i++) {
        var ptr = HEAP32[(iov + i * 8) >> 2];
        var len = HEAP32[(iov + i * 8 + 4) >> 2];
        var curr = FS.read(stream, HEAP8, ptr, len, offset + num);
        if (curr < 0) { num = -1; break; }
        num += curr;
        if (curr < len) break;
      }
      HEAP32[pnum >> 2] = num;
      return 0;
    } catch (e) {
      if (typeof FS == 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return e.errno;
    }
  },

  __syscall_ftruncate64__deps: ['$SYSCALLS', '$FS'],
  __syscall_ftruncate64__sig: 'iiii',
  __syscall_ftruncate64: function (fd, low, high) {
    try {
      var length = high * 0x100000000 + (low >>> 0); // sfdaq-fd64
      var stream = SYSCALLS.getStreamFromFD(fd);
      if (length < 0) return -{{{ cDefine('EINVAL') }}};
      require('fs').ftruncateSync(stream.nfd, length);
      return 0;
    } catch (e) {
      if (e && e.code && typeof ERRNO_CODES != 'undefined' && ERRNO_CODES[e.code]) return -ERRNO_CODES[e.code];
      if (typeof FS == 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return -e.errno;
    }
  },

  __syscall_truncate64__deps: ['$SYSCALLS', '$FS'],
  __syscall_truncate64__sig: 'iiii',
  __syscall_truncate64: function (path, low, high) {
    try {
      var length = high * 0x100000000 + (low >>> 0); // sfdaq-fd64
      FS.truncate(SYSCALLS.getStr(path), length);
      return 0;
    } catch (e) {
      if (typeof FS == 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return -e.errno;
    }
  },
});
