import Actors

// MARK: - Several loops: loop 0 (the application's) and I/O loops 1..<n
//
// Each I/O loop runs a whole gateway of its own (listener, epoll, timers, HTTP, WebSocket,
// deflate, TLS, queues, writev) for the connections it accepted. Only the application's
// callbacks and calls cross between loops, in batches: an I/O loop gathers its connections'
// callbacks during a round and posts them to loop 0 at the round's end (one lock, at most
// one wake of loop 0); loop 0 gathers its calls for each I/O loop during its round the same
// way. A broadcast is one entry per destination loop, sharing the message's frames.

extension Gateway {
    /// Starts `count` event loops for the gateway's I/O, named `gateway-loop-1`...;
    /// on failure the loops already started are shut down.
    public static func startIOLoops(count: Int) throws(SystemError) -> [EventLoop] {
        var loops: [EventLoop] = []
        for index in 0..<max(0, count) {
            do {
                loops.append(try EventLoop.start(name: "gateway-loop-\(index + 1)"))
            } catch {
                loops.forEach { $0.shutdown() }
                throw error
            }
        }
        return loops
    }

    /// The I/O loops (empty with one loop); their owner shuts them down after `stop()`.
    public nonisolated var ioLoops: [EventLoop] { ioGateways.map(\.loop) }

    /// Listening sockets with SO_REUSEPORT on `port`, one per I/O loop.
    static func listeners(count: Int, host: String, port: Int) throws(SystemError) -> [Int32] {
        var fds: [Int32] = []
        for _ in 0..<count {
            do {
                fds.append(try Socket.listen(host: host, port: port, reusePort: true))
            } catch {
                fds.forEach { Syscall.close($0) }
                throw error
            }
        }
        return fds
    }

    /// Hands each I/O loop its listener.
    func startIOLoops(listeners: [Int32]) {
        guard !ioGateways.isEmpty else { return }
        registerInbox()
        for (worker, fd) in zip(ioGateways, listeners) {
            _ = forward(.start(listenFD: fd, port: port), toLoop: worker.loopIndex)
        }
        postHandoff()
    }

    /// Watches this gateway's mailbox on its loop (once).
    func registerInbox() {
        guard !inboxRegistered, let fd = upcallInbox?.wakeFd ?? downcallInbox?.wakeFd else { return }
        let handler = MailboxHandler { [weak self] in self?.assumeIsolated { $0.drainInbox() } }
        do {
            try loop.register(fd, events: Epoll.readable, handler: handler)
            inboxRegistered = true
        } catch {
            Log.error("gateway.loop_inbox", ["loop": String(loopIndex), "error": error.description])
        }
    }

    // MARK: Loop 0 → I/O loops

    /// Queues `call` for the gateway of loop `index`; it leaves at the end of this round.
    /// False when there is no such loop (a stale or foreign id).
    func forward(_ call: Downcall, toLoop index: Int) -> Bool {
        let slot = index - 1
        guard slot >= 0, slot < downcalls.count else { return false }
        downcalls[slot].append(call)
        handoffPending = true
        return true
    }

    /// `broadcast` with I/O loops: recipients here are queued now; the others are grouped
    /// per loop into one hand-off entry sharing `message`.
    func broadcastAcrossLoops(_ message: OutboundMessage, to ids: some Sequence<ConnectionID>) {
        var remote: [[ConnectionID]] = Array(repeating: [], count: ioGateways.count)
        var frames = SharedFrames(message)
        for id in ids {
            if id.loop == loopIndex {
                guard let connection = connection(id), connection.state == .webSocket else { continue }
                _ = enqueue(connection, frames.frame(for: connection, compressor: sharedCompressor))
            } else if id.loop - 1 < remote.count {
                remote[id.loop - 1].append(id)
            }
        }
        for (slot, recipients) in remote.enumerated() where !recipients.isEmpty {
            _ = forward(.broadcast(message, recipients), toLoop: slot + 1)
        }
    }

    /// End of a round: posts what this round gathered for other loops.
    func postHandoff() {
        guard handoffPending else { return }
        handoffPending = false
        if let uplink {
            uplink.post(&upcalls)
            return
        }
        for (slot, worker) in ioGateways.enumerated() where !downcalls[slot].isEmpty {
            worker.downcallInbox?.post(&downcalls[slot])
        }
    }

    /// The mailbox rang: runs what other loops posted, in order.
    func drainInbox() {
        if let inbox = upcallInbox {
            inbox.take(into: &upcallSpare)
            for call in upcallSpare { runUpcall(call) }
            upcallSpare.removeAll(keepingCapacity: true)
        } else if let inbox = downcallInbox {
            inbox.take(into: &downcallSpare)
            for call in downcallSpare { runDowncall(call) }
            downcallSpare.removeAll(keepingCapacity: true)
        }
    }

    /// Loop 0: an I/O loop's callback, handed to the application as if it happened here.
    func runUpcall(_ call: Upcall) {
        switch call {
        case .route(let id, let pending):
            var route = application.route(pending.request, on: self)
            if case .hold(let seconds, let waiting) = route {
                // The application's queue lives here; the I/O loop only keeps the socket waiting.
                waiting(id)
                route = .hold(seconds: seconds, waiting: { _ in })
            }
            _ = forward(.routed(id, RouteAnswer(route)), toLoop: id.loop)
        case .opened(let id, let session):
            application.opened(id, session: session, on: self)
        case .received(let id, let message):
            application.received(message, from: id, on: self)
        case .closed(let id):
            application.closed(id, on: self)
        }
    }
}

/// The frames of one message for one broadcast: the compressed frame is looked up once
/// per broadcast, not once per recipient.
struct SharedFrames {
    let message: OutboundMessage
    private var deflated: OutboundFrame??

    init(_ message: OutboundMessage) { self.message = message }

    mutating func frame(for connection: Connection, compressor: PerMessageDeflateCompressor?) -> OutboundFrame {
        guard connection.sharesCompressedFrames, let compressor else { return message.plainFrame }
        switch deflated {
        case .some(let frame):
            return frame ?? message.plainFrame
        case .none:
            let frame = message.deflatedFrame(using: compressor)
            deflated = .some(frame)
            return frame ?? message.plainFrame
        }
    }
}
