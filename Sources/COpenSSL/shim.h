// OpenSSL 3 (libssl-dev): SHA-1 for the WebSocket handshake, HMAC-SHA256 for JWT, TLS.
// Macros that do not import into Swift are wrapped as static inline functions.
#ifndef CHAT_COPENSSL_SHIM_H
#define CHAT_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

static inline long chat_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long chat_SSL_CTX_set_options_no_compression(SSL_CTX *ctx) {
    return SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
}
static inline long chat_SSL_set_mode_partial_write(SSL *ssl) {
    return SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}
#endif
