// zstd (libzstd-dev): compression of stored message payloads over 512 bytes.
#ifndef CHAT_CZSTD_SHIM_H
#define CHAT_CZSTD_SHIM_H
#include <zstd.h>
#endif
