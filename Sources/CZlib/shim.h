// zlib (zlib1g-dev): raw deflate for WebSocket permessage-deflate (RFC 7692).
// deflateInit2 and inflateInit2 are macros, so they are wrapped here.
#ifndef CHAT_CZLIB_SHIM_H
#define CHAT_CZLIB_SHIM_H
#include <zlib.h>

static inline int chat_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}
static inline int chat_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
