import Gateway

/// Verifies HS256 tokens (RFC 7519, RFC 7515) signed with the node's `JWT_SECRET`.
///
/// Checks, in order, each failing with its own `JWTError`:
///
///     size <= maxTokenBytes  ->  3 parts  ->  header: alg == "HS256", typ == JWT
///       ->  HMAC-SHA256(secret, part1 "." part2) == signature (constant time)
///       ->  claims (sub, exp, types)  ->  exp > now - leeway
///
/// The payload is only parsed once the signature holds. The clock is a parameter, so
/// tests pass any `now`.
public struct JWTVerifier: Sendable {
    private let secret: [UInt8]
    /// Seconds a token stays valid past its `exp` (default 0).
    public let leeway: Int64
    /// Longest token accepted, in bytes (default 4 KiB).
    public let maxTokenBytes: Int

    /// Creates a verifier. The node refuses to start with an empty secret; this type does not.
    public init(secret: [UInt8], leeway: Int64 = 0, maxTokenBytes: Int = 4096) {
        self.secret = secret
        self.leeway = max(0, leeway)
        self.maxTokenBytes = maxTokenBytes
    }

    /// The claims of a valid token at time `now` (seconds since the epoch).
    public func verify(_ token: String, now: Int64) throws(JWTError) -> JWTClaims {
        let bytes = token.utf8
        guard bytes.count <= maxTokenBytes else { throw .tooLarge }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed }
        let header = parts[0], payload = parts[1], signature = parts[2]

        guard let headerJSON = Base64URL.decode(header) else { throw .invalidBase64 }
        try JWTHeader.check(json: headerJSON)

        guard let mac = Base64URL.decode(signature) else { throw .invalidBase64 }
        let signedPart = Array(header) + [UInt8(ascii: ".")] + Array(payload)
        guard let expected = HMACSHA256.mac(key: secret, message: signedPart),
              HMACSHA256.equal(mac, expected) else { throw .badSignature }

        guard let payloadJSON = Base64URL.decode(payload) else { throw .invalidBase64 }
        let claims = try JWTClaims.decode(json: payloadJSON)
        let (deadline, overflow) = claims.expiresAt.addingReportingOverflow(leeway)
        guard overflow || deadline > now else { throw .expired }
        return claims
    }

    /// The token a WebSocket upgrade carries: the `token` query item, else
    /// `Authorization: Bearer <token>` (scheme case-insensitive); nil when neither is there.
    public static func token(in request: HTTPRequest) -> String? {
        if let token = request.query("token") { return token }
        guard let authorization = request.headers["Authorization"] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingSpaces()
        return token.isEmpty ? nil : token
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
