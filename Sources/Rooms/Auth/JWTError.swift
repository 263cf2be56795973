/// Why a token was refused. Every case is answered the same way on the wire (HTTP 401
/// before the upgrade, no WebSocket); `reason` names the case for logs (never the token).
public enum JWTError: Error, Hashable, Sendable {
    /// Longer than the verifier's cap; refused before any other work.
    case tooLarge
    /// Not three dot-separated parts.
    case malformed
    /// A part is not canonical unpadded base64url.
    case invalidBase64
    /// The header is not a JSON object, `typ` is present and not `JWT`, or it carries `crit`.
    case invalidHeader
    /// `alg` is missing or anything but exactly `HS256` (`none`, `HS512`, `hs256`, ...).
    case unsupportedAlgorithm
    /// The signature is not HMAC-SHA256 of the first two parts under our secret.
    case badSignature
    /// The payload is not a JSON object.
    case invalidPayload
    /// A required claim (`sub`, `exp`) is absent.
    case missingClaim(String)
    /// A claim has the wrong JSON type or an out-of-range or non-canonical value.
    case invalidClaim(String)
    /// `exp` is at or before now (minus the leeway).
    case expired

    /// A short stable name for logs and metrics, e.g. `expired`, `invalid_claim:sub`.
    public var reason: String {
        switch self {
        case .tooLarge: "too_large"
        case .malformed: "malformed"
        case .invalidBase64: "invalid_base64"
        case .invalidHeader: "invalid_header"
        case .unsupportedAlgorithm: "unsupported_alg"
        case .badSignature: "bad_signature"
        case .invalidPayload: "invalid_payload"
        case .missingClaim(let name): "missing_claim:\(name)"
        case .invalidClaim(let name): "invalid_claim:\(name)"
        case .expired: "expired"
        }
    }
}
