import COpenSSL

/// HMAC-SHA256 through OpenSSL's one-shot `HMAC(EVP_sha256(), ...)` and a constant-time compare.
enum HMACSHA256 {
    /// The 32-byte MAC size.
    static let byteCount = 32

    /// The MAC of `message` under `key`; nil only if OpenSSL fails (no SHA-256 provider, no memory).
    static func mac(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        var zero: UInt8 = 0
        guard key.count <= Int(Int32.max) else { return nil }
        let result = withUnsafeMutablePointer(to: &zero) { placeholder in
            key.withUnsafeBytes { keyBytes in
                message.withUnsafeBufferPointer { messageBytes in
                    out.withUnsafeMutableBufferPointer { outBytes in
                        HMAC(EVP_sha256(),
                             keyBytes.baseAddress ?? UnsafeRawPointer(placeholder), Int32(keyBytes.count),
                             messageBytes.baseAddress ?? UnsafePointer(placeholder), messageBytes.count,
                             outBytes.baseAddress, &length)
                    }
                }
            }
        }
        guard result != nil, Int(length) == byteCount else { return nil }
        return Array(out.prefix(byteCount))
    }

    /// Whether two MACs are equal, in time independent of where they differ (`CRYPTO_memcmp`).
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { aBytes in
            b.withUnsafeBytes { bBytes in
                guard let aBase = aBytes.baseAddress, let bBase = bBytes.baseAddress else { return false }
                return CRYPTO_memcmp(aBase, bBase, aBytes.count) == 0
            }
        }
    }
}
