/// Development login (`DEV_LOGIN=1`): a stable user id derived from a name, so that the
/// same name always logs in as the same user.
public enum DevLogin {
    /// FNV-1a (32-bit) of the lower-cased name; never 0.
    public static func userID(forName name: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in name.lowercased().utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash == 0 ? 1 : hash
    }

    /// Whether `name` is acceptable: 1 to 32 letters, digits, `-`, `_` or `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32
            && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }
}
