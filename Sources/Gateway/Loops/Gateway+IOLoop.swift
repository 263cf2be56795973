import Actors

// MARK: - The I/O loop side: loop 0's calls, routes answered by loop 0, callbacks upward

extension Gateway {
    // MARK: I/O loop side

    /// An I/O loop: the application's call for one of its connections, or control.
    func runDowncall(_ call: Downcall) {
        switch call {
        case .routed(let id, let answer):
            resumeRouting(id, answer.route)
        case .resumeHeld(let id, let pending, let answer):
            resume(id, request: pending.request, with: answer.route)
        case .send(let id, let message):
            _ = send(message, to: id)
        case .broadcast(let message, let ids):
            broadcastHere(message, to: ids)
        case .close(let id, let code, let reason):
            close(id, code: code, reason: reason)
        case .setBudget(let id, let bytes):
            setBudget(id, bytes: bytes)
        case .start(let fd, let port):
            if started { stop() }
            do { try serve(listener: fd, port: port) } catch {
                Syscall.close(fd)
                Log.error("gateway.loop_listen", ["loop": String(loopIndex), "error": error.description])
            }
        case .drain:
            drain()
        case .stop:
            stop()
        }
    }

    /// An I/O loop: sends `request` to loop 0 for its route; the connection reads nothing
    /// more until the answer comes (`resumeRouting`), so pipelined bytes wait in the kernel.
    func routeOnLoopZero(_ connection: Connection, _ request: HTTPRequest) {
        let pending = PendingRoute(request)
        connection.routing = pending
        updateInterest(connection)
        upcall(.route(connection.id, pending))
    }

    private func resumeRouting(_ id: ConnectionID, _ route: GatewayRoute) {
        guard let connection = connection(id), connection.state == .http, let pending = connection.routing else { return }
        connection.routing = nil
        updateInterest(connection)
        guard connection.state == .http else { return }
        apply(route, to: connection, for: pending.request)
        // Requests pipelined behind this one are already in the parser.
        if connection.state == .http { processHTTP(connection, UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    func upcall(_ call: Upcall) {
        upcalls.append(call)
        handoffPending = true
    }

    // MARK: Application callbacks, here or through loop 0

    func tellOpened(_ id: ConnectionID, session: AnyObject?) {
        if uplink == nil { application.opened(id, session: session, on: self) } else { upcall(.opened(id, session: session)) }
    }

    func tellReceived(_ message: WebSocketMessage, from id: ConnectionID) {
        if uplink == nil { application.received(message, from: id, on: self) } else { upcall(.received(id, message)) }
    }

    func tellClosed(_ id: ConnectionID) {
        if uplink == nil { application.closed(id, on: self) } else { upcall(.closed(id)) }
    }
}
