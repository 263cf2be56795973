// MARK: - Held requests: an application's admission queue

extension Gateway {
    /// Keeps `connection`'s request waiting for the application (`GatewayRoute.hold`).
    /// The request timeout is moved to `seconds` from now (plus one tick), the backstop
    /// should the application never answer. A waiting client must not send anything (RFC
    /// 6455 §4.1: it waits for the answer to its upgrade): input closes it.
    func hold(_ connection: Connection, seconds: UInt64) {
        connection.held = true
        connection.deadline = tick + seconds + 1
        wheel.insert(connection.id, at: connection.deadline)
    }

    /// Answers a held request with `route` (`.upgrade` or `.respond`; another `.hold`
    /// keeps it waiting). False when the connection is gone (the client left) or was not
    /// held. The answer leaves at the end of the loop round, as any other.
    @discardableResult
    /// For a connection of an I/O loop the answer is forwarded to that loop (true: it
    /// finds out there whether the connection is still held).
    public func resume(_ id: ConnectionID, request: HTTPRequest, with route: GatewayRoute) -> Bool {
        if id.loop != loopIndex {
            return forward(.resumeHeld(id, PendingRoute(request), RouteAnswer(route)), toLoop: id.loop)
        }
        guard let connection = connection(id), connection.state == .http, connection.held else { return false }
        connection.held = false
        connection.deadline = tick + configuration.requestTimeoutSeconds
        apply(route, to: connection, for: request)
        if connection.state == .http { processHTTP(connection, UnsafeRawBufferPointer(start: nil, count: 0)) }
        return true
    }

    /// Whether `id` is a connection of this gateway's loop whose request is held.
    public func isHeld(_ id: ConnectionID) -> Bool {
        connection(id)?.held ?? false
    }
}
