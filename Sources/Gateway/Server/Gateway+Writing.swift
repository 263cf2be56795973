@preconcurrency import Glibc
import Actors

// MARK: - Writing: queues, budgets, flushing, closing

/// What happened to a frame handed to one connection.
public enum SendOutcome: Sendable, Equatable {
    /// Queued for the socket.
    case queued
    /// A LOW frame dropped by the connection's full queue.
    case droppedLow
    /// The connection was over its budget and is being closed as a slow consumer (4008).
    case slowConsumer
    /// No such connection (closed).
    case closed
}

extension Gateway {
    /// Queues `message` for one connection. For a connection of another loop the message is
    /// handed over at the end of this round and the outcome is `.queued` (that loop applies
    /// the budget, and closes a slow consumer there).
    @discardableResult
    public func send(_ message: OutboundMessage, to id: ConnectionID) -> SendOutcome {
        if id.loop != loopIndex { return forward(.send(id, message), toLoop: id.loop) ? .queued : .closed }
        guard let connection = connection(id), connection.state == .webSocket else { return .closed }
        return enqueue(connection, frame(of: message, for: connection))
    }

    /// Queues `message` for many connections; its frames are built once. Recipients on
    /// other loops are handed over as one entry per loop, sharing the frames.
    public func broadcast(_ message: OutboundMessage, to ids: some Sequence<ConnectionID>) {
        if ioGateways.isEmpty { return broadcastHere(message, to: ids) }
        broadcastAcrossLoops(message, to: ids)
    }

    /// `broadcast` to connections of this loop.
    func broadcastHere(_ message: OutboundMessage, to ids: some Sequence<ConnectionID>) {
        var frames = SharedFrames(message)
        for id in ids {
            guard let connection = connection(id), connection.state == .webSocket else { continue }
            _ = enqueue(connection, frames.frame(for: connection, compressor: sharedCompressor))
        }
    }

    /// Closes a WebSocket with a close frame (e.g. 4008, 1008), or an HTTP connection at once.
    public func close(_ id: ConnectionID, code: WebSocketCloseCode, reason: String = "") {
        if id.loop != loopIndex {
            _ = forward(.close(id, code, reason: reason), toLoop: id.loop)
            return
        }
        guard let connection = connection(id) else { return }
        if connection.state == .webSocket {
            closeWebSocket(connection, code: code, reason: reason)
        } else {
            finalClose(connection)
        }
    }

    /// Changes a connection's outbound byte budget (its tier).
    public func setBudget(_ id: ConnectionID, bytes: Int) {
        if id.loop != loopIndex {
            _ = forward(.setBudget(id, bytes: bytes), toLoop: id.loop)
            return
        }
        connection(id)?.outbound.budget = bytes
    }

    /// Bytes waiting in a connection's queue; nil when it closed or is served by another
    /// loop (see `topConnectionsOnEveryLoop`).
    public func pendingBytes(_ id: ConnectionID) -> Int? {
        connection(id)?.outbound.pendingBytes
    }

    private func frame(of message: OutboundMessage, for connection: Connection) -> OutboundFrame {
        if connection.sharesCompressedFrames, let compressor = sharedCompressor,
           let deflated = message.deflatedFrame(using: compressor)
        {
            return deflated
        }
        return message.plainFrame
    }

    func enqueue(_ connection: Connection, _ frame: OutboundFrame) -> SendOutcome {
        let lowDropsBefore = connection.outbound.droppedLow
        switch connection.outbound.enqueue(frame) {
        case .queued:
            counters.framesOut.add(1, ordering: .relaxed)
            if connection.outbound.droppedLow != lowDropsBefore {  // waiting LOW frames made room
                counters.droppedLow.add(connection.outbound.droppedLow - lowDropsBefore, ordering: .relaxed)
            }
            connection.framesOut &+= 1
            markDirty(connection)
            return .queued
        case .droppedLow:
            counters.droppedLow.add(1, ordering: .relaxed)
            return .droppedLow
        case .overBudget:
            counters.slowConsumers.add(1, ordering: .relaxed)
            counters.droppedOverBudget.add(frame.priority)
            connection.outbound.removeAll()
            closeWebSocket(connection, code: .slowConsumer, reason: "slow consumer")
            return .slowConsumer
        }
    }

    func enqueueUnbounded(_ connection: Connection, _ frame: OutboundFrame) {
        connection.outbound.enqueueUnbounded(frame)
        markDirty(connection)
    }

    func markDirty(_ connection: Connection) {
        guard !connection.dirty else { return }
        connection.dirty = true
        dirty.append(connection)
    }

    /// Sends an HTTP response; a closing response ends the connection after it is written.
    func respond(_ connection: Connection, with response: HTTPResponse, headOnly: Bool = false) {
        enqueueUnbounded(connection, OutboundFrame(copying: response.serialized(headOnly: headOnly), priority: .critical))
        if response.closesConnection { beginClosing(connection) }
    }

    /// Sends a close frame, tells the application, and lets the connection linger.
    func closeWebSocket(_ connection: Connection, code: WebSocketCloseCode, reason: String) {
        guard connection.state == .webSocket else { return }
        let close = WebSocketFrameEncoder(role: .server).close(code: code, reason: reason)
        enqueueUnbounded(connection, OutboundFrame(copying: close, priority: .critical))
        beginClosing(connection)
    }

    private func beginClosing(_ connection: Connection) {
        guard connection.state != .closing && connection.state != .closed else { return }
        connection.state = .closing
        connection.httpParser = nil
        connection.assembler = nil
        connection.deadline = tick + configuration.closeLingerSeconds
        wheel.insert(connection.id, at: connection.deadline)
        notifyClosed(connection)
    }

    private func notifyClosed(_ connection: Connection) {
        guard connection.applicationKnows else { return }
        connection.applicationKnows = false
        tellClosed(connection.id)
    }

    /// Closes the socket now and forgets the connection.
    func finalClose(_ connection: Connection) {
        guard connection.state != .closed else { return }
        connection.state = .closed
        connection.outbound.removeAll()
        loop.deregister(connection.fd)
        Syscall.close(connection.fd)
        let slot = Int(connection.fd)
        if slot < connections.count, connections[slot] === connection { connections[slot] = nil }
        counters.open.subtract(1, ordering: .relaxed)
        notifyClosed(connection)
    }

    /// End of a loop round: one flush per connection that got output; what this round
    /// gathered for other loops leaves too.
    func flushDirty() {
        if handoffPending { postHandoff() }
        guard !dirty.isEmpty else { return }
        let batch = dirty
        dirty.removeAll(keepingCapacity: true)
        for connection in batch {
            connection.dirty = false
            flush(connection)
        }
    }

    func flush(_ connection: Connection) {
        if let session = connection.tls { return flushTLS(connection, session) }
        while connection.state != .closed && !connection.outbound.isEmpty {
            let count = connection.outbound.fill(vectors, capacity: 64)
            var total = 0
            for index in 0..<count { total += vectors[index].iov_len }
            let result: IOResult
            do { result = try Socket.writev(connection.fd, vectors, count: Int32(count)) } catch {
                return finalClose(connection)
            }
            switch result {
            case .wouldBlock:
                return setWriteInterest(connection, true)
            case .done(let written):
                counters.bytesOut.add(written, ordering: .relaxed)
                connection.outbound.advance(by: written)
                if written < total { return setWriteInterest(connection, true) }
            }
        }
        guard connection.state != .closed else { return }
        setWriteInterest(connection, false)
        if connection.state == .closing { Socket.shutdownWrite(connection.fd) }
    }

    func setWriteInterest(_ connection: Connection, _ wanted: Bool) {
        guard connection.writeArmed != wanted else { return }
        connection.writeArmed = wanted
        updateInterest(connection)
    }

    /// Registers the events the connection waits for: input unless a request of it waits
    /// for its route on loop 0, output while it has pending bytes.
    func updateInterest(_ connection: Connection) {
        let reading = connection.routing == nil ? Epoll.readable | Epoll.readHangup : 0
        let events = reading | (connection.writeArmed ? Epoll.writable : 0)
        do { try loop.reregister(connection.fd, events: events) } catch { finalClose(connection) }
    }
}
