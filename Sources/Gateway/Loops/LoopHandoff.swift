/// What the gateway of an I/O loop (1...n-1) hands to loop 0, where the application lives:
/// the application callbacks of its connections, in the order they happened.
///
/// `@unchecked Sendable`: the payloads are values, or objects handed over whole and used
/// on one side only (a request waiting for its route, the application's session object,
/// which only loop 0 touches).
enum Upcall: @unchecked Sendable {
    /// An HTTP request to route; the answer comes back as `Downcall.routed`.
    case route(ConnectionID, PendingRoute)
    /// A WebSocket opened (the session is the one `route` returned).
    case opened(ConnectionID, session: AnyObject?)
    /// A whole message arrived.
    case received(ConnectionID, WebSocketMessage)
    /// A WebSocket the application knew closed.
    case closed(ConnectionID)
}

/// What loop 0 hands to the gateway of an I/O loop: the application's calls for that
/// loop's connections, and the gateway's own control (start, drain, stop), in order.
/// A broadcast is one entry for all its recipients on that loop, sharing one message.
enum Downcall: @unchecked Sendable {
    /// The application's answer to `Upcall.route`.
    case routed(ConnectionID, RouteAnswer)
    /// `Gateway.resume`: the application's late answer to a request it held.
    case resumeHeld(ConnectionID, PendingRoute, RouteAnswer)
    /// `Gateway.send`.
    case send(ConnectionID, OutboundMessage)
    /// `Gateway.broadcast`, for the recipients on the destination loop.
    case broadcast(OutboundMessage, [ConnectionID])
    /// `Gateway.close`.
    case close(ConnectionID, WebSocketCloseCode, reason: String)
    /// `Gateway.setBudget`.
    case setBudget(ConnectionID, bytes: Int)
    /// Serve this listening socket (bound by loop 0 with SO_REUSEPORT to `port`).
    case start(listenFD: Int32, port: Int)
    /// `Gateway.drain`.
    case drain
    /// `Gateway.stop`.
    case stop
}

/// An HTTP request waiting on an I/O loop for loop 0's route (boxed: requests are large
/// and rare next to messages, and the connection keeps the same box while it waits).
final class PendingRoute {
    let request: HTTPRequest
    init(_ request: HTTPRequest) { self.request = request }
}

/// The application's route for a request of an I/O loop (boxed for the same reason).
final class RouteAnswer {
    let route: GatewayRoute
    init(_ route: GatewayRoute) { self.route = route }
}

/// The application of an I/O loop's gateway: a placeholder, as every callback of those
/// gateways goes to loop 0 (`tellOpened`, `routeOnLoopZero`, ...). Never called.
final class ApplicationOnLoopZero: GatewayApplication {
    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        .respond(.error(.internalServerError))
    }
    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway) {}
    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {}
    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {}
}
