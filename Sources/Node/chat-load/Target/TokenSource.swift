import Foundation
import Rooms

/// Where each connection's token comes from.
enum TokenSource: Sendable {
    /// The same placeholder for everyone: for peers that accept any token.
    case fixed(String)
    /// Minted per connection with the node's secret: `sub` = `userBase + index`.
    case minted(JWTSigner, userBase: UInt32, expiresAt: Int64)
    /// Fetched before the run from a node's `/dev/token`.
    case fetched([String])

    /// The token of connection `index`.
    func token(for index: Int) -> String {
        switch self {
        case .fixed(let token):
            return token
        case .minted(let signer, let userBase, let expiresAt):
            let user = userBase &+ UInt32(truncatingIfNeeded: index)
            return signer.sign(JWTClaims(userID: user, expiresAt: expiresAt, name: "load-\(index)"))
        case .fetched(let tokens):
            return index < tokens.count ? tokens[index] : ""
        }
    }

    /// The source the configuration asks for. Fetching happens here, on the calling
    /// thread, before any WebSocket is opened; `progress` is told every 100 tokens.
    static func make(_ config: LoadConfiguration, tokenURL: TargetURL?, progress: (Int) -> Void) throws(LoadRunError) -> TokenSource {
        if let secret = config.secret {
            let lifetime = Int64(config.hardDeadline) + 3_600
            let now = Int64(Date().timeIntervalSince1970)
            return .minted(JWTSigner(secret: Array(secret.utf8)), userBase: config.userBase, expiresAt: now + lifetime)
        }
        guard let tokenURL else { return .fixed("load") }
        let fetcher = HTTPFetcher(target: tokenURL, timeoutMilliseconds: 5_000)
        let separator = tokenURL.pathAndQuery.contains("?") ? "&" : "?"
        var tokens: [String] = []
        tokens.reserveCapacity(config.connections)
        for index in 0..<config.connections {
            guard let (status, body) = fetcher.get("\(tokenURL.pathAndQuery)\(separator)user=load-\(index)") else {
                throw LoadRunError(message: "token \(index): no answer from \(tokenURL.host):\(tokenURL.port)")
            }
            guard status == 200, let document = try? JSONDocument.parse(body), let token = document.root["token"]?.string else {
                throw LoadRunError(message: "token \(index): HTTP \(status) \(String(decoding: body.prefix(200), as: UTF8.self))")
            }
            tokens.append(token)
            if index % 100 == 99 { progress(index + 1) }
        }
        return .fetched(tokens)
    }
}

/// A run that could not start or went wrong outside the connections (exit status 1).
struct LoadRunError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
