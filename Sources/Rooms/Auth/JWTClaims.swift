/// The claims of a chat token (PROTOCOL.md, "Connecting").
///
///     {"sub":"42","exp":1767225600,"name":"Ann","tier":"premium","adm":true,"rooms":[1,7]}
///
/// `sub` is the user id as a canonical decimal string of a UInt32 ("0" ... "4294967295";
/// no sign, spaces, hex or leading zeros, so one user has exactly one spelling). `exp` is
/// an integral JSON number of seconds since the epoch (`1.5` is refused; `1e9` and `1.0`
/// are integral and accepted). Optional claims, when present, must have their JSON type:
/// `null` is refused like any other wrong type. Other claims (`iat`, `nbf`, `iss`, ...)
/// are ignored.
public struct JWTClaims: Hashable, Sendable {
    /// The user id (`sub`).
    public var userID: UInt32
    /// Expiry, seconds since the epoch (`exp`).
    public var expiresAt: Int64
    /// Display name (`name`).
    public var name: String?
    /// Service tier (`tier`); only `premium` means anything today.
    public var tier: String?
    /// May use admin operations (`adm`; absent means false).
    public var isAdmin: Bool
    /// The rooms the user may join (`rooms`); nil means every room.
    public var rooms: [UInt32]?

    /// Creates claims.
    public init(userID: UInt32, expiresAt: Int64, name: String? = nil, tier: String? = nil,
                isAdmin: Bool = false, rooms: [UInt32]? = nil) {
        self.userID = userID
        self.expiresAt = expiresAt
        self.name = name
        self.tier = tier
        self.isAdmin = isAdmin
        self.rooms = rooms
    }

    /// Whether `tier` is `premium`.
    public var isPremium: Bool { tier == "premium" }

    /// Whether the token lets the user join `room`.
    public func allows(room: UInt32) -> Bool {
        rooms?.contains(room) ?? true
    }

    /// Parses `sub`: a canonical decimal UInt32; nil for "", "-1", "+1", "0x1", " 1",
    /// "042", "4294967296".
    public static func parseUserID(_ text: String) -> UInt32? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 10,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for digit in digits { value = value * 10 + UInt64(digit - UInt8(ascii: "0")) }
        return UInt32(exactly: value)
    }
}
