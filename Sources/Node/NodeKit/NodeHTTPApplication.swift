import Actors
import Foundation
import Gateway
import Rooms
import Shards

/// The node's HTTP surface on the gateway: `/health`, `/metrics` (Prometheus),
/// `/dev/token` (with `DEV_LOGIN=1`), the web client's static files, and `/ws`, where the
/// JWT is checked before the upgrade (HTTP 401 otherwise; 503 while draining).
///
/// Authenticated WebSockets are handed to the `ChatService`.
final class NodeHTTPApplication: GatewayApplication, @unchecked Sendable {
    let configuration: NodeConfiguration
    let verifier: JWTVerifier
    let signer: JWTSigner
    let staticFiles: StaticFiles
    let links: [ShardLink]
    let chat: ChatService
    let operations: NodeOperations
    /// Holds upgrades at MAX_CONNECTIONS and at the critical level (set by the node).
    var admission: AdmissionControl?

    init(configuration: NodeConfiguration, secret: [UInt8], links: [ShardLink], chat: ChatService,
         operations: NodeOperations) {
        self.configuration = configuration
        self.verifier = JWTVerifier(secret: secret)
        self.signer = JWTSigner(secret: secret)
        self.staticFiles = StaticFiles(root: configuration.webRoot)
        self.links = links
        self.chat = chat
        self.operations = operations
    }

    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        switch request.path {
        case "/ws":
            guard !operations.isDraining else { return .respond(.error(.serviceUnavailable, message: "draining")) }
            guard let token = JWTVerifier.token(in: request) else {
                return .respond(.error(.unauthorized, message: "missing token"))
            }
            do {
                let claims = try verifier.verify(token, now: Int64(Date().timeIntervalSince1970))
                let session = Session(claims: claims)
                return admission?.route(request, session: session, on: gateway) ?? .upgrade(session: session)
            } catch {
                return .respond(.error(.unauthorized, message: error.reason))
            }
        case "/health":
            return .respond(healthResponse(on: gateway))
        case "/metrics":
            let text = operations.snapshot(on: gateway).prometheusText()
            return .respond(HTTPResponse(
                status: .ok, headers: HTTPHeaders([("Content-Type", PrometheusText.contentType), ("Cache-Control", "no-store")]),
                body: Array(text.utf8)))
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

    /// While draining, chat frames are dropped unanswered: the client, told 1001 soon after,
    /// sends again what was not acknowledged on the node it reconnects to (`NodeDrain`).
    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {
        guard !operations.isDraining else { return }
        chat.received(message, from: connection)
    }

    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {
        chat.closed(connection)
        admission?.poll()
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

    /// 200 while serving; 503 while draining or stopping, or when no shard is reachable.
    private func healthResponse(on gateway: isolated Gateway) -> HTTPResponse {
        var snapshot = operations.snapshot(on: gateway)
        if !gateway.isAccepting { snapshot.draining = true }  // shutting down
        let (healthy, json) = snapshot.healthJSON()
        var response = HTTPResponse.json(healthy ? .ok : .serviceUnavailable, json)
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }
}

/// What the node knows about a connection after its token was checked.
final class Session: @unchecked Sendable {
    let claims: JWTClaims
    init(claims: JWTClaims) { self.claims = claims }
}
