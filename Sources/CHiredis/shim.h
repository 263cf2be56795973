// hiredis (Debian's libhiredis-dev, 0.14: RESP2 only). Declared without pkg-config:
// Debian's hiredis.pc carries -D_FILE_OFFSET_BITS=64, which SwiftPM warns about.
#ifndef CHAT_CHIREDIS_SHIM_H
#define CHAT_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
