// The system zlib (zlib1g-dev on Debian/Ubuntu, part of every Swift toolchain's Linux
// requirements), for KubeTestServer's gzip responses. `deflateInit2` is a macro, so it is
// wrapped here for Swift.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
    // windowBits 15 + 16: a gzip header and trailer, as Go's compress/gzip writes.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
