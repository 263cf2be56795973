import Foundation
import Gateway

/// JSON of the claims: strict decoding through `JSONDecoder` (which never mistakes `1` for
/// `true` or `true` for a number, unlike `JSONSerialization`'s NSNumbers), hand-written
/// encoding (deterministic key order, cannot fail).
extension JWTClaims {
    /// Decodes a payload; throws `invalidPayload`, `missingClaim` or `invalidClaim`.
    static func decode(json: [UInt8]) throws(JWTError) -> JWTClaims {
        do {
            return try JSONDecoder().decode(Decoding.self, from: Data(json)).claims
        } catch let error as JWTError {
            throw error
        } catch {
            throw .invalidPayload
        }
    }

    /// The payload JSON, keys in a fixed order, optional claims only when set (`adm` only when true).
    var json: String {
        var fields = ["\"sub\":\"\(userID)\"", "\"exp\":\(expiresAt)"]
        if let name { fields.append("\"name\":" + HTTPResponse.jsonString(name)) }
        if let tier { fields.append("\"tier\":" + HTTPResponse.jsonString(tier)) }
        if isAdmin { fields.append("\"adm\":true") }
        if let rooms { fields.append("\"rooms\":[" + rooms.map(String.init).joined(separator: ",") + "]") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Decodable shell that maps each failure to the claim it concerns.
    private struct Decoding: Decodable {
        var claims: JWTClaims

        enum Key: String, CodingKey { case sub, exp, name, tier, adm, rooms }

        init(from decoder: any Decoder) throws {
            let container: KeyedDecodingContainer<Key>
            do { container = try decoder.container(keyedBy: Key.self) } catch { throw JWTError.invalidPayload }
            guard container.contains(.sub) else { throw JWTError.missingClaim("sub") }
            guard container.contains(.exp) else { throw JWTError.missingClaim("exp") }
            let subject = try Self.value(String.self, .sub, in: container)
            guard let userID = JWTClaims.parseUserID(subject) else { throw JWTError.invalidClaim("sub") }
            claims = JWTClaims(
                userID: userID,
                expiresAt: try Self.value(Int64.self, .exp, in: container),
                name: try Self.optional(String.self, .name, in: container),
                tier: try Self.optional(String.self, .tier, in: container),
                isAdmin: try Self.optional(Bool.self, .adm, in: container) ?? false,
                rooms: try Self.optional([UInt32].self, .rooms, in: container))
        }

        private static func value<T: Decodable>(_ type: T.Type, _ key: Key,
                                                in container: KeyedDecodingContainer<Key>) throws -> T {
            do { return try container.decode(type, forKey: key) } catch { throw JWTError.invalidClaim(key.rawValue) }
        }

        private static func optional<T: Decodable>(_ type: T.Type, _ key: Key,
                                                   in container: KeyedDecodingContainer<Key>) throws -> T? {
            guard container.contains(key) else { return nil }
            return try value(type, key, in: container)
        }
    }
}
