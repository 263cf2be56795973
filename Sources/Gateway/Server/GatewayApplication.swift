/// What the application wants done with an HTTP request.
public enum GatewayRoute {
    /// Answer with this response.
    case respond(HTTPResponse)
    /// Upgrade to WebSocket if the handshake is valid; `session` is handed back in
    /// `opened` (e.g. the authenticated user).
    case upgrade(session: AnyObject?)
    /// Keep the request waiting (an admission queue): the gateway hands the connection's
    /// id to `waiting`, reads no further request from it, and closes it unless the
    /// application answers with `Gateway.resume` within `seconds` (`Gateway+Hold.swift`).
    case hold(seconds: UInt64, waiting: (ConnectionID) -> Void)
}

/// The layer above the gateway (the chat service). Every call comes on the gateway's loop
/// thread, inside the gateway actor's isolation, so an application whose actors share the
/// loop's executor enters them synchronously with `assumeIsolated`. With I/O loops this
/// still holds: callbacks for their connections are handed to loop 0 (in batches) and come
/// from the loop-0 gateway, which routes the application's calls back by connection id.
public protocol GatewayApplication: AnyObject {
    /// Routes an HTTP request (not yet upgraded).
    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute
    /// A WebSocket connection is open.
    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway)
    /// A whole text or binary message arrived.
    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway)
    /// A WebSocket connection closed (for any reason); its id is no longer valid.
    func closed(_ connection: ConnectionID, on gateway: isolated Gateway)
}
