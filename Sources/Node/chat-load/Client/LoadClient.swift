import Gateway

/// One WebSocket connection of the generator, on its worker's loop.
///
///     idle --open--> connecting --writable--> upgrading --101--> joining --joined--> open
///                                                         (idle scenario: --101--> open)
///     open --worker closes--> closing --close frame or EOF--> closed
///     any --error, refusal, timeout, server close--> closed
///
/// Bound to its worker's loop thread; the worker owns it and drives its timers.
final class LoadClient {
    enum State: Equatable {
        case idle, connecting, upgrading, joining, open, closing, closed

        /// Opening: counted against the worker's limit of handshakes in flight.
        var isInProgress: Bool { self == .connecting || self == .upgrading || self == .joining }
    }

    /// The worker outlives its clients (it finishes every one before it stops); unowned(unsafe)
    /// spares a reference-count round trip on every access of the hot path.
    unowned(unsafe) let worker: LoadWorker
    /// Global index: names the user (token), the room, the sender in texts.
    let index: Int
    let room: UInt32
    /// Position in the worker's list of clients.
    let slot: Int
    private(set) var state = State.idle {
        didSet {
            if oldValue.isInProgress != state.isInProgress { worker.inProgress += state.isInProgress ? 1 : -1 }
        }
    }
    var fd: Int32 = -1
    /// When the current step began (connect timeout).
    var startedAt: UInt64 = 0
    /// The join stamp from the room registry; 0 before `joined`.
    private(set) var joinStamp: UInt64 = 0
    private var handshake: WebSocketClientHandshake?
    private var head: [UInt8] = []
    @exclusivity(unchecked) private var assembler = WebSocketMessageAssembler(configuration: WebSocketParserConfiguration(role: .client, maxMessageSize: 1 << 20))
    /// Bytes not yet written (only when the socket pushed back).
    private var output: [UInt8] = []
    private var writeRegistered = false
    /// Sends awaiting their ack, by cid: send stamp and recipients counted.
    private var pending: [UInt64: (stamp: UInt64, recipients: Int)] = [:]
    private var nextCID: UInt64 = 1

    init(worker: LoadWorker, index: Int, room: UInt32, slot: Int) {
        self.worker = worker
        self.index = index
        self.room = room
        self.slot = slot
    }

    var isInProgress: Bool { state.isInProgress }
    var isOpen: Bool { state == .open }
    var isLive: Bool { state != .idle && state != .closed }

    // MARK: - Opening

    /// Starts the TCP connect.
    func open(now: UInt64) {
        startedAt = now
        do {
            fd = try Socket.connect(host: worker.target.address, port: worker.target.port)
            state = .connecting
            try worker.loop.register(fd, events: Epoll.writable | Epoll.readable, handler: self)
            writeRegistered = true
        } catch {
            fail("connect", now: now)
        }
    }

    private func sendUpgrade() {
        let shake = WebSocketClientHandshake()
        handshake = shake
        let separator = worker.target.pathAndQuery.contains("?") ? "&" : "?"
        let path = worker.target.pathAndQuery + separator + "token=" + worker.tokens.token(for: index)
        state = .upgrading
        write(Array(shake.requestHead(host: worker.target.hostHeader, path: path).utf8))
    }

    /// Reads the response head; returns the offset after it once it is complete.
    private func readHead(_ input: UnsafeRawBufferPointer, now: UInt64) -> Int? {
        let before = head.count
        head.append(contentsOf: input)
        guard let end = HTTPFetcher.find([13, 10, 13, 10], in: head, from: max(0, before - 3)) else {
            if head.count > 16_384 { fail("handshake", now: now) }
            return nil
        }
        let text = String(decoding: head[..<end], as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.isEmpty ? [] : lines.removeFirst().split(separator: " ")
        let status = statusParts.count >= 2 ? Int(statusParts[1]) ?? 0 : 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...])
        }
        guard let handshake, (try? handshake.validateResponse(status: status, header: { headers[$0] })) != nil else {
            fail(status == 101 ? "handshake" : "http_\(status)", now: now)
            return nil
        }
        let consumed = end + 4 - before
        head = []
        self.handshake = nil
        worker.stats.counters.opened += 1
        if worker.config.scenario.joinsRooms {
            state = .joining
            write(worker.writer.join(room: room))
        } else {
            state = .open
        }
        return consumed
    }

    // MARK: - Sending

    /// Sends one message of this run into the room.
    func sendMessage() {
        guard state == .open else { return }
        let (stamp, recipients) = worker.rooms.send(room)
        let cid = nextCID
        nextCID &+= 1
        pending[cid] = (stamp, recipients)
        worker.stats.counters.sent += 1
        worker.stats.counters.expected += Int64(recipients)
        write(worker.writer.send(room: room, stamp: stamp, sender: index, cid: cid))
    }

    /// Starts the closing handshake (or drops a connection that is not open yet).
    func close() {
        switch state {
        case .joining, .open:
            write(worker.writer.close())
            state = .closing
        case .connecting, .upgrading:
            finish(failure: "timeout")
        case .idle, .closing, .closed:
            break
        }
    }

    /// Fails a connection still in progress after the connect timeout.
    func timeOut(now: UInt64) {
        if state == .joining {
            worker.stats.counters.joinFailed += 1
            worker.stats.note("join_timeout")
            finish(failure: nil)
        } else {
            fail("timeout", now: now)
        }
    }

    // MARK: - Events from the message handlers

    /// Writes a frame built elsewhere (pong, close).
    func sendRaw(_ bytes: [UInt8]) { write(bytes) }

    /// The ack of `cid` (or its error) arrived: what was pending for it.
    func removePending(_ cid: UInt64) -> (stamp: UInt64, recipients: Int)? {
        pending.removeValue(forKey: cid)
    }

    /// `joined` arrived: a member from now on (the stamp orders it against every send).
    func joined() {
        joinStamp = worker.rooms.join(room)
        state = .open
        worker.stats.counters.joined += 1
        worker.clientReady(self)
    }

    /// The join was answered with an error: the connection stays open but never sends.
    func joinRefused() {
        state = .open
    }

    /// The server sent a close frame (already answered).
    func serverClosed() { closedByPeer(reason: "server_close") }

    // MARK: - Writing

    private func write(_ bytes: [UInt8]) {
        guard fd >= 0 else { return }
        worker.stats.counters.bytesOut &+= UInt64(bytes.count)
        if !output.isEmpty || state == .connecting {
            output.append(contentsOf: bytes)
            return
        }
        let written = flush(bytes)
        if written < bytes.count {
            output.append(contentsOf: bytes[written...])
            wantWrite(true)
        }
    }

    /// Writes what it can of `bytes`; -1 on error (the connection is finished).
    private func flush(_ bytes: [UInt8]) -> Int {
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { chunk -> IOResult? in try? Socket.write(fd, chunk) }
            switch result {
            case .done(let count): written += count
            case .wouldBlock: return written
            case nil:
                closedByPeer(reason: "write_error")
                return bytes.count
            }
        }
        return written
    }

    private func wantWrite(_ on: Bool) {
        guard on != writeRegistered, fd >= 0 else { return }
        writeRegistered = on
        try? worker.loop.reregister(fd, events: on ? Epoll.readable | Epoll.writable : Epoll.readable)
    }

    // MARK: - Ending

    private func fail(_ reason: String, now: UInt64) {
        worker.stats.counters.failed += 1
        worker.stats.note(reason)
        finish(failure: nil)
    }

    /// The server closed, reset or broke the connection.
    private func closedByPeer(reason: String) {
        switch state {
        case .connecting, .upgrading:
            fail(reason, now: 0)
        case .joining:
            worker.stats.counters.joinFailed += 1
            worker.stats.note("join_" + reason)
            finish(failure: nil)
        case .open:
            worker.stats.counters.dropped += 1
            worker.stats.note(reason)
            finish(failure: nil)
        case .closing, .idle, .closed:
            finish(failure: nil)
        }
    }

    /// Closes the descriptor and leaves the room. `failure` counts a failed connection.
    func finish(failure: String?) {
        guard state != .closed else { return }
        if let failure {
            worker.stats.counters.failed += 1
            worker.stats.note(failure)
        }
        if joinStamp != 0 { worker.rooms.leave(room) }
        let wasOpen = state == .open
        state = .closed
        if fd >= 0 {
            worker.loop.deregister(fd)
            Syscall.close(fd)
            fd = -1
        }
        output = []
        pending = [:]
        if wasOpen { worker.clientLeft(self) }
        worker.clientFinished(self)
    }
}

// MARK: - Readiness

extension LoadClient: EventLoopHandler {
    func handleEvents(_ events: UInt32) {
        if state == .connecting {
            guard events & (Epoll.writable | Epoll.error | Epoll.hangup) != 0 else { return }
            guard Socket.pendingError(fd) == 0, events & Epoll.error == 0 else {
                fail("connect", now: 0)
                return
            }
            wantWrite(false)
            sendUpgrade()
            if state == .closed { return }
        }
        if events & Epoll.writable != 0 && !output.isEmpty {
            let pendingBytes = output
            output = []
            let written = flush(pendingBytes)
            if state == .closed { return }
            if written < pendingBytes.count { output = Array(pendingBytes[written...]) } else { wantWrite(false) }
        }
        if events & (Epoll.readable | Epoll.hangup | Epoll.error) != 0 { readAvailable() }
    }

    private func readAvailable() {
        let buffer = worker.readBuffer
        // Level-triggered: read until a short read; what is left comes with the next event.
        for _ in 0..<8 {
            guard fd >= 0 else { return }
            let result: IOResult
            do {
                result = try Socket.read(fd, into: buffer)
            } catch {
                closedByPeer(reason: "closed")
                return
            }
            switch result {
            case .done(0):
                closedByPeer(reason: "closed")
                return
            case .wouldBlock:
                return
            case .done(let count):
                worker.stats.counters.bytesIn &+= UInt64(count)
                consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if count < buffer.count { return }
            }
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer) {
        var input = bytes
        let now = MonotonicClock.nanoseconds()
        if state == .upgrading {
            guard let used = readHead(input, now: now) else { return }
            input = UnsafeRawBufferPointer(rebasing: input[used...])
        }
        while state != .closed {
            if assembler.isIdle, let frame = InPlaceFrame.next(input) {
                input = UnsafeRawBufferPointer(rebasing: input[frame.size...])
                if frame.opcode == .text { handle(text: frame.payload, now: now) } else { handle(binary: frame.payload, now: now) }
                continue
            }
            let message: WebSocketMessage?
            do {
                message = try assembler.nextMessage(&input)
            } catch {
                worker.stats.note("ws_" + String(describing: error))
                closedByPeer(reason: "protocol_error")
                return
            }
            guard let message else { return }
            handle(message, now: now)
        }
    }
}
