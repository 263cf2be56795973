import COpenSSL

/// One connection's TLS state: an OpenSSL `SSL` between two memory BIOs, so the gateway
/// keeps its own non-blocking socket reads and writes and OpenSSL never touches the socket.
///
/// ```
/// socket ─recv─> feed ─> [input BIO] ─SSL_read─> decrypt ─> plaintext ─> HTTP / WebSocket
/// queue ─> encrypt ─SSL_write─> [output BIO] ─> pendingCiphertext ─send─> consumeCiphertext
/// ```
///
/// The handshake runs inside `decrypt` (the server answers whatever the client's bytes
/// call for; its flights land in the output BIO like any other ciphertext), so the caller
/// only has to send `pendingCiphertext` after each read. Memory BIOs grow instead of
/// blocking, so `SSL_ERROR_WANT_WRITE` never happens and `WANT_READ` means "feed more".
/// A memory BIO keeps its largest size, so callers feed and encrypt in bounded steps
/// (`chunkLimit`). Malformed input makes `decrypt` report `.failed`, never trap; the
/// caller sends the alert OpenSSL queued and closes the connection.
///
/// Loop-bound: not `Sendable`. Freed (with both BIOs) when the connection goes.
final class TLSSession {
    /// What `decrypt` produced.
    enum Output: Equatable {
        /// This many bytes of plaintext at the start of the buffer.
        case plaintext(Int)
        /// Nothing more until more ciphertext is fed (handshake in progress, partial record).
        case needsInput
        /// The peer sent close_notify: it will send nothing more.
        case closed
        /// The handshake or a record failed; the session is unusable.
        case failed(TLSError)
    }

    /// Largest step fed or encrypted at once: one full TLS record plus its overhead, so
    /// neither BIO grows past about 17 KiB whatever the traffic.
    static let chunkLimit = 16 * 1024 + 512

    private let ssl: OpaquePointer
    private var input: OpaquePointer
    private var output: OpaquePointer
    private var broken = false
    private var handshakeBuffersReleased = false
    /// Whether the handshake was seen complete (OpenSSL forgets it after a fatal error).
    private var established = false
    /// Whether close_notify was queued (`queueCloseNotify`).
    private(set) var closeNotifyQueued = false

    /// A server-side session for one accepted connection.
    init(context: TLSContext) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw .setup(reason: TLSError.drainQueue()) }
        guard let input = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .setup(reason: TLSError.drainQueue())
        }
        guard let output = BIO_new(BIO_s_mem()) else {
            BIO_free(input)
            SSL_free(ssl)
            throw .setup(reason: TLSError.drainQueue())
        }
        SSL_set_bio(ssl, input, output)  // the SSL owns both BIOs from here on
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.input = input
        self.output = output
    }

    deinit {
        SSL_free(ssl)
    }

    /// Whether the handshake completed.
    var isHandshakeComplete: Bool {
        if !established { established = SSL_is_init_finished(ssl) == 1 }
        return established
    }

    /// Hands ciphertext from the socket to OpenSSL; returns how many bytes were taken
    /// (at most `chunkLimit`; 0 only when memory ran out). Call `decrypt` until
    /// `.needsInput` before feeding the rest.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        let count = Swift.min(bytes.count, Self.chunkLimit)
        return Swift.max(0, Int(BIO_write(input, base, Int32(count))))
    }

    /// Decrypts the next plaintext into `buffer`, advancing the handshake as needed.
    func decrypt(into buffer: UnsafeMutableRawBufferPointer) -> Output {
        guard !broken else { return .failed(.record(reason: "session already failed")) }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .needsInput }
        ERR_clear_error()
        var count = 0
        if SSL_read_ex(ssl, base, buffer.count, &count) == 1 {
            established = true
            return .plaintext(count)
        }
        switch SSL_get_error(ssl, 0) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            _ = isHandshakeComplete  // note the handshake's end while OpenSSL still reports it
            return .needsInput
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            return .failed(fail())
        }
    }

    /// Encrypts `plaintext` (at most `chunkLimit` bytes keeps the output BIO small) into
    /// the pending ciphertext.
    func encrypt(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard !broken else { throw .record(reason: "session already failed") }
        guard let base = plaintext.baseAddress, !plaintext.isEmpty else { return }
        ERR_clear_error()
        var written = 0
        guard SSL_write_ex(ssl, base, plaintext.count, &written) == 1, written == plaintext.count else {
            throw fail()
        }
    }

    /// Ciphertext waiting for the socket (handshake flights, records, alerts), in place in
    /// the output BIO; valid until the next call on this session.
    var pendingCiphertext: UnsafeRawBufferPointer {
        var data: UnsafeMutablePointer<CChar>?
        let length = chat_BIO_get_mem_data(output, &data)
        guard let data, length > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: Int(length))
    }

    /// Drops the first `count` bytes of pending ciphertext (they were sent), copying them
    /// through `scratch` (memory BIOs have no skip).
    func consumeCiphertext(_ count: Int, scratch: UnsafeMutableRawBufferPointer) {
        guard let base = scratch.baseAddress, !scratch.isEmpty else { return }
        var left = count
        while left > 0 {
            let step = Swift.min(left, scratch.count, Int(Int32.max))
            let read = Int(BIO_read(output, base, Int32(step)))
            guard read > 0 else { return }
            left -= read
        }
    }

    /// Queues close_notify (RFC 8446 §6.1) after everything encrypted so far. Once only;
    /// skipped when the handshake never finished or the session failed.
    func queueCloseNotify() {
        guard !closeNotifyQueued else { return }
        closeNotifyQueued = true
        guard !broken, SSL_is_init_finished(ssl) == 1 else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Swaps both BIOs for empty ones once the handshake is over and its bytes have left:
    /// a memory BIO keeps its largest size, and the handshake's flights (about 3 KiB) are
    /// the largest thing an idle chat connection ever holds. Once per session.
    func releaseHandshakeBuffers() {
        guard !handshakeBuffersReleased, established, !broken,
              BIO_ctrl_pending(input) == 0, BIO_ctrl_pending(output) == 0,
              let freshInput = BIO_new(BIO_s_mem())
        else { return }
        guard let freshOutput = BIO_new(BIO_s_mem()) else {
            BIO_free(freshInput)
            return
        }
        handshakeBuffersReleased = true
        SSL_set0_rbio(ssl, freshInput)  // frees the old one
        SSL_set0_wbio(ssl, freshOutput)
        input = freshInput
        output = freshOutput
    }

    private func fail() -> TLSError {
        broken = true
        let reason = TLSError.drainQueue()
        return established ? .record(reason: reason) : .handshake(reason: reason)
    }
}
