import COpenSSL

/// A TLS failure: loading the certificate or its key, or one connection's handshake or
/// records. Each case carries OpenSSL's own error string, so an operator reads the real
/// cause ("no such file", "key values mismatch", "wrong version number").
public enum TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The certificate chain file could not be loaded (missing, unreadable, not PEM).
    case certificate(path: String, reason: String)
    /// The private key file could not be loaded (missing, unreadable, encrypted, not PEM).
    case privateKey(path: String, reason: String)
    /// The private key does not belong to the certificate.
    case keyMismatch(reason: String)
    /// OpenSSL could not create a context or a session (memory, bad settings).
    case setup(reason: String)
    /// A connection's handshake failed: not TLS at all (plain HTTP, garbage), no common
    /// version or cipher, or a malformed handshake message.
    case handshake(reason: String)
    /// A record failed after the handshake (bad MAC, unexpected message).
    case record(reason: String)

    public var description: String {
        switch self {
        case .certificate(let path, let reason): "cannot load certificate chain \(path): \(reason)"
        case .privateKey(let path, let reason): "cannot load private key \(path): \(reason)"
        case .keyMismatch(let reason): "private key does not match the certificate: \(reason)"
        case .setup(let reason): "TLS setup failed: \(reason)"
        case .handshake(let reason): "TLS handshake failed: \(reason)"
        case .record(let reason): "TLS record error: \(reason)"
        }
    }
}

extension TLSError {
    /// OpenSSL's error queue of the calling thread as one line (oldest first), emptied.
    ///
    /// The queue is per thread; callers clear it before each operation whose outcome they
    /// read (`ERR_clear_error`), as `SSL_get_error` requires.
    static func drainQueue() -> String {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no OpenSSL error reported" : reasons.joined(separator: "; ")
    }
}
