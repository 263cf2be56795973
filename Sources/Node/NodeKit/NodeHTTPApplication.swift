import Actors
import Foundation
import Gateway
import Rooms
import Shards

/// The node's HTTP surface on the gateway: `/health`, `/dev/token` (with `DEV_LOGIN=1`),
/// the web client's static files, and `/ws`, where the JWT is checked before the upgrade
/// (HTTP 401 otherwise).
///
/// Authenticated WebSockets are handed to the `ChatService`.
final class NodeHTTPApplication: GatewayApplication, @unchecked Sendable {
    let configuration: NodeConfiguration
    let verifier: JWTVerifier
    let signer: JWTSigner
    let staticFiles: StaticFiles
    let links: [ShardLink]
    let health: NodeHealth
    let chat: ChatService

    init(configuration: NodeConfiguration, secret: [UInt8], links: [ShardLink], health: NodeHealth, chat: ChatService) {
        self.configuration = configuration
        self.verifier = JWTVerifier(secret: secret)
        self.signer = JWTSigner(secret: secret)
        self.staticFiles = StaticFiles(root: configuration.webRoot)
        self.links = links
        self.health = health
        self.chat = chat
    }

    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        switch request.path {
        case "/ws":
            guard let token = JWTVerifier.token(in: request) else {
                return .respond(.error(.unauthorized, message: "missing token"))
            }
            do {
                let claims = try verifier.verify(token, now: Int64(Date().timeIntervalSince1970))
                return .upgrade(session: Session(claims: claims))
            } catch {
                return .respond(.error(.unauthorized, message: error.reason))
            }
        case "/health":
            return .respond(healthResponse(connections: gateway.connectionCount, draining: !gateway.isAccepting))
        case "/dev/token":
            return .respond(devToken(request))
        default:
            return .respond(staticFiles.response(to: request))
        }
    }

    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway) {
        guard let session = session as? Session else { return gateway.close(connection, code: .internalError) }
        chat.opened(connection, claims: session.claims)
    }

    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {
        chat.received(message, from: connection)
    }

    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {
        chat.closed(connection)
    }

    private func devToken(_ request: HTTPRequest) -> HTTPResponse {
        guard configuration.devLogin else { return .error(.notFound) }
        guard let name = request.query("user"), DevLogin.isValidName(name) else {
            return .error(.badRequest, message: "user must be 1 to 32 letters, digits, - _ .")
        }
        let uid = DevLogin.userID(forName: name)
        let expires = Int64(Date().timeIntervalSince1970) + 24 * 3600
        let token = signer.sign(JWTClaims(userID: uid, expiresAt: expires, name: name))
        return .json(.ok, #"{"token":\#(HTTPResponse.jsonString(token)),"uid":\#(uid)}"#)
    }

    private func healthResponse(connections: Int, draining: Bool) -> HTTPResponse {
        let up = health.shardsUp
        let status = draining ? "draining" : (up == 0 && !links.isEmpty ? "no_storage" : "ok")
        let body = #"{"status":"\#(status)","connections":\#(connections),"shards_up":\#(up),"shards":\#(links.count)}"#
        return .json(status == "ok" ? .ok : .serviceUnavailable, body)
    }
}

/// What the node knows about a connection after its token was checked.
final class Session: @unchecked Sendable {
    let claims: JWTClaims
    init(claims: JWTClaims) { self.claims = claims }
}

/// Shard health, refreshed on the loop by the node and read by `/health`.
final class NodeHealth: @unchecked Sendable {
    var shardsUp = 0
}
