import Actors

/// One connection as operators see it (control socket `conns`).
public struct ConnectionInfo: Sendable, Equatable {
    /// Its id (`slot.generation`).
    public var id: ConnectionID
    /// `http`, `websocket` or `closing`.
    public var state: String
    /// Bytes queued and not yet written.
    public var pendingBytes: Int
    /// Frames queued and not yet written.
    public var pendingFrames: Int
    /// Its outbound byte budget (tier).
    public var budget: Int
    /// Bytes received since it opened.
    public var bytesIn: Int
    /// Frames sent since it opened.
    public var framesOut: Int
    /// Seconds since it last sent anything.
    public var idleSeconds: Int
    /// Whether permessage-deflate was negotiated.
    public var deflate: Bool
}

// MARK: - Read-only accessors and operator actions for the control socket

extension Gateway {
    /// Open WebSockets on this gateway's loop (not counting HTTP connections).
    public var webSocketCount: Int {
        connections.reduce(0) { count, connection in count + (connection?.state == .webSocket ? 1 : 0) }
    }

    /// Open WebSockets plus connections still closing (a close frame sent, the peer's close
    /// or the linger timeout not yet seen) on this gateway's loop; a drain waits for
    /// `lingeringWebSocketCountOnEveryLoop` to reach zero.
    public var lingeringWebSocketCount: Int {
        connections.reduce(0) { count, connection in
            count + (connection?.state == .webSocket || connection?.state == .closing ? 1 : 0)
        }
    }

    /// The `limit` connections of this gateway's loop with the most bytes waiting to be
    /// written (ties by id); `topConnectionsOnEveryLoop` covers the I/O loops too.
    public func topConnections(limit: Int) -> [ConnectionInfo] {
        var all: [ConnectionInfo] = []
        for case let connection? in connections where connection.state != .closed {
            all.append(info(connection))
        }
        all.sort(by: Self.busierFirst)
        return Array(all.prefix(max(0, limit)))
    }

    /// Closes every open WebSocket on every loop with `code` (e.g. 1001 going away) but
    /// keeps listening, so HTTP (`/health`, `/metrics`) is still served. Returns how many.
    @discardableResult
    public func closeWebSockets(code: WebSocketCloseCode, reason: String) async -> Int {
        var closed = closeWebSocketsHere(code: code, reason: reason)
        for worker in ioGateways { closed += await worker.closeWebSocketsHere(code: code, reason: reason) }
        return closed
    }

    /// The `limit` connections with the most bytes waiting, over every loop (one hop to
    /// each I/O loop).
    public func topConnectionsOnEveryLoop(limit: Int) async -> [ConnectionInfo] {
        var all = topConnections(limit: limit)
        for worker in ioGateways { all += await worker.topConnections(limit: limit) }
        all.sort(by: Self.busierFirst)
        return Array(all.prefix(max(0, limit)))
    }

    /// `lingeringWebSocketCount` over every loop (what a drain waits to reach zero).
    public func lingeringWebSocketCountOnEveryLoop() async -> Int {
        var count = lingeringWebSocketCount
        for worker in ioGateways { count += await worker.lingeringWebSocketCount }
        return count
    }

    /// Open WebSockets over every loop.
    public func webSocketCountOnEveryLoop() async -> Int {
        var count = webSocketCount
        for worker in ioGateways { count += await worker.webSocketCount }
        return count
    }

    /// Most bytes waiting first, then by loop and slot.
    static func busierFirst(_ lhs: ConnectionInfo, _ rhs: ConnectionInfo) -> Bool {
        if lhs.pendingBytes != rhs.pendingBytes { return lhs.pendingBytes > rhs.pendingBytes }
        return lhs.id.loop != rhs.id.loop ? lhs.id.loop < rhs.id.loop : lhs.id.slot < rhs.id.slot
    }

    /// `closeWebSockets` on this loop.
    func closeWebSocketsHere(code: WebSocketCloseCode, reason: String) -> Int {
        // An I/O loop first runs what loop 0 already posted (acks, messages), so that they
        // go out before the close.
        if downcallInbox != nil { drainInbox() }
        var closed = 0
        for case let connection? in connections where connection.state == .webSocket {
            closeWebSocket(connection, code: code, reason: reason)
            closed += 1
        }
        flushDirty()
        return closed
    }

    private func info(_ connection: Connection) -> ConnectionInfo {
        let state: String
        switch connection.state {
        case .http: state = "http"
        case .webSocket: state = "websocket"
        case .closing: state = "closing"
        case .closed: state = "closed"
        }
        return ConnectionInfo(
            id: connection.id, state: state, pendingBytes: connection.outbound.pendingBytes,
            pendingFrames: connection.outbound.count, budget: connection.outbound.budget,
            bytesIn: connection.bytesIn, framesOut: connection.framesOut,
            idleSeconds: Int(clamping: tick &- min(tick, connection.lastActivity)), deflate: connection.deflate != nil)
    }
}
