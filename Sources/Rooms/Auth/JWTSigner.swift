/// Signs claims into HS256 tokens: for `/dev/token`, the load generator and tests.
///
/// The header is always `{"alg":"HS256","typ":"JWT"}`.
public struct JWTSigner: Sendable {
    private let secret: [UInt8]

    /// Creates a signer with the shared secret.
    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// The token for `claims`.
    public func sign(_ claims: JWTClaims) -> String {
        sign(headerJSON: #"{"alg":"HS256","typ":"JWT"}"#, payloadJSON: claims.json)
    }

    /// Signs arbitrary header and payload texts without checking them, for tests and tools
    /// that need tokens our `sign(_:)` would never make (wrong types, other algorithms).
    ///
    /// Traps only if OpenSSL cannot compute HMAC-SHA256 at all (a broken installation,
    /// not input): a node that cannot sign could not verify either.
    public func sign(headerJSON: String, payloadJSON: String) -> String {
        let signedPart = Base64URL.encode(headerJSON.utf8) + "." + Base64URL.encode(payloadJSON.utf8)
        guard let mac = HMACSHA256.mac(key: secret, message: Array(signedPart.utf8)) else {
            preconditionFailure("OpenSSL HMAC-SHA256 unavailable")
        }
        return signedPart + "." + Base64URL.encode(mac)
    }
}
