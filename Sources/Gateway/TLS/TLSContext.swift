import COpenSSL

/// A server TLS configuration (an OpenSSL `SSL_CTX`): a PEM certificate chain and its
/// private key, shared by every connection of every loop.
///
/// Settings: TLS 1.2 minimum; TLS 1.2 limited to ECDHE key exchange with AEAD ciphers
/// (TLS 1.3 suites are OpenSSL's defaults, all AEAD); no compression (CRIME); no
/// renegotiation (a client could otherwise make the server redo handshakes at will); the
/// server's cipher order; record buffers released while a connection is idle; ALPN answers
/// `http/1.1` when offered. The key is checked against the certificate at load time, so a
/// wrong pair stops the node at start rather than failing every handshake.
///
/// Immutable once built: OpenSSL allows `SSL_new` on a configured context from several
/// threads at once, hence `@unchecked Sendable`. Freed when the last reference goes.
public final class TLSContext: @unchecked Sendable {
    /// The `SSL_CTX *`; never exposed outside the module.
    let context: OpaquePointer
    /// Where the certificate chain was loaded from (for logs).
    public let certificatePath: String

    /// TLS 1.2 suites accepted: forward secrecy and AEAD only (Mozilla's "intermediate").
    static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Loads `certificateChainFile` (PEM: the server certificate first, then intermediates)
    /// and `privateKeyFile` (PEM, unencrypted), and checks that they belong together.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw .setup(reason: TLSError.drainQueue())
        }
        do throws(TLSError) {
            try Self.configure(context, certificate: certificateChainFile, key: privateKeyFile)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.context = context
        self.certificatePath = certificateChainFile
    }

    deinit {
        SSL_CTX_free(context)
    }

    private static func configure(_ context: OpaquePointer, certificate: String, key: String) throws(TLSError) {
        guard chat_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1,
              SSL_CTX_set_cipher_list(context, tls12Ciphers) == 1
        else {
            throw .setup(reason: TLSError.drainQueue())
        }
        chat_SSL_CTX_set_server_defaults(context)
        chat_SSL_CTX_select_alpn_http11(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
            throw .certificate(path: certificate, reason: TLSError.drainQueue())
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL checks the key against the loaded certificate here already.
            let last = ERR_peek_last_error()
            let mismatch = ERR_GET_LIB(last) == ERR_LIB_X509
                && [X509_R_KEY_VALUES_MISMATCH, X509_R_KEY_TYPE_MISMATCH].contains(ERR_GET_REASON(last))
            let reason = TLSError.drainQueue()
            throw mismatch ? .keyMismatch(reason: reason) : .privateKey(path: key, reason: reason)
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .keyMismatch(reason: TLSError.drainQueue())
        }
    }
}
