import Foundation

/// The JOSE header checks (RFC 7515 §4): `alg` must be exactly `HS256`; `typ`, when
/// present, `JWT` in any case; `crit` is refused (we understand no extensions).
enum JWTHeader {
    /// Throws `invalidHeader` or `unsupportedAlgorithm`; returns when the header is acceptable.
    static func check(json: [UInt8]) throws(JWTError) {
        do {
            _ = try JSONDecoder().decode(Decoding.self, from: Data(json))
        } catch let error as JWTError {
            throw error
        } catch {
            throw .invalidHeader
        }
    }

    private struct Decoding: Decodable {
        enum Key: String, CodingKey { case alg, typ, crit }

        init(from decoder: any Decoder) throws {
            let container: KeyedDecodingContainer<Key>
            do { container = try decoder.container(keyedBy: Key.self) } catch { throw JWTError.invalidHeader }
            guard container.contains(.alg), let alg = try? container.decode(String.self, forKey: .alg),
                  alg == "HS256" else { throw JWTError.unsupportedAlgorithm }
            if container.contains(.typ) {
                guard let typ = try? container.decode(String.self, forKey: .typ),
                      typ.lowercased() == "jwt" else { throw JWTError.invalidHeader }
            }
            guard !container.contains(.crit) else { throw JWTError.invalidHeader }
        }
    }
}
