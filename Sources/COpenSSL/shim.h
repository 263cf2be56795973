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

/* TLS server settings in one call: no compression (CRIME), no renegotiation (a CPU
   cost a client could impose), the server's cipher order, and record buffers released
   while a connection is idle (about 34 KiB per idle connection otherwise). */
static inline void chat_SSL_CTX_set_server_defaults(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

/* ALPN: select http/1.1 when the client offers it, otherwise negotiate no protocol
   (RFC 7301 lets a server ignore the extension). A static C callback keeps Swift out
   of OpenSSL's callback machinery. */
static inline int chat_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                   const unsigned char *in, unsigned int inlen, void *arg) {
    static const unsigned char http11[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    (void)ssl; (void)arg;
    if (SSL_select_next_proto((unsigned char **)out, outlen, http11, sizeof(http11), in, inlen)
        == OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}
static inline void chat_SSL_CTX_select_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, chat_alpn_select_http11, NULL);
}

/* The unread bytes of a memory BIO, without copying them. */
static inline long chat_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}
#endif
