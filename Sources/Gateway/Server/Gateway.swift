@preconcurrency import Glibc
import Actors
import Synchronization

/// The gateway: owns the listening socket and every client connection, on one event loop.
///
/// An actor whose executor is its loop: readiness events enter it synchronously on the
/// loop's thread, and so do calls from actors that share the loop (rooms, shard links).
/// Reads go through one shared buffer; writes are queued per connection as references to
/// shared frames and flushed with one `writev` per connection at the end of each loop round.
public actor Gateway {
    /// The loop everything here runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// Settings.
    public nonisolated let configuration: GatewayConfiguration
    /// Counters for metrics, readable from any thread.
    public nonisolated let counters = GatewayCounters()
    let application: any GatewayApplication

    var connections: [Connection?] = []
    var generations: [UInt32] = []
    var dirty: [Connection] = []
    var wheel = TimerWheel<ConnectionID>()
    var tick: UInt64 = 0
    var listenFD: Int32 = -1
    var listenHandler: ListenHandler?
    var tickTimer: UInt64?
    var accepting = false
    var started = false
    var roundHookInstalled = false
    let scratch = GatewayScratch()
    var readBuffer: UnsafeMutableRawBufferPointer { scratch.readBuffer }
    var vectors: UnsafeMutablePointer<iovec> { scratch.vectors }
    let sharedCompressor: PerMessageDeflateCompressor?
    /// Buffers for decrypting and encrypting, only when TLS is on.
    let tlsScratch: TLSScratch?
    let handshakeConfiguration: WebSocketHandshakeConfiguration
    /// The port listened on (useful when configured with port 0).
    public private(set) var port = 0

    /// A gateway on `loop` serving `application`; `start()` opens the port.
    public init(loop: EventLoop, configuration: GatewayConfiguration, application: any GatewayApplication) {
        self.loop = loop
        self.configuration = configuration
        self.application = application
        self.handshakeConfiguration = WebSocketHandshakeConfiguration(
            subprotocols: configuration.subprotocols, permessageDeflate: configuration.deflate)
        if let deflate = configuration.deflate {
            sharedCompressor = PerMessageDeflateCompressor(
                windowBits: 15, noContextTakeover: true, minimumSize: deflate.minimumCompressSize,
                level: deflate.compressionLevel, memoryLevel: deflate.memoryLevel)
        } else {
            sharedCompressor = nil
        }
        tlsScratch = configuration.tls == nil ? nil : TLSScratch()
    }

    /// Whether new connections are accepted (false while draining).
    public var isAccepting: Bool { accepting }

    /// Open connections (HTTP and WebSocket).
    public var connectionCount: Int { counters.open.load(ordering: .relaxed) }

    /// Listens and starts serving.
    public func start() throws(SystemError) {
        guard !started else { return }
        listenFD = try Socket.listen(host: configuration.host, port: configuration.port)
        port = try Socket.localPort(listenFD)
        let handler = ListenHandler(gateway: self)
        listenHandler = handler
        try loop.register(listenFD, events: Epoll.readable, handler: handler)
        accepting = true
        started = true
        if !roundHookInstalled {
            roundHookInstalled = true
            loop.onEveryRound { [weak self] in self?.assumeIsolated { $0.flushDirty() } }
        }
        tickTimer = loop.scheduleRepeating(every: .seconds(1)) { [weak self] in self?.assumeIsolated { $0.onTick() } }
        Log.info("gateway.listening", ["host": configuration.host, "port": String(port), "tls": configuration.tls == nil ? "off" : "on"])
    }

    /// Runs as a supervised child: starts, serves until cancelled, then closes every
    /// connection with 1001 (going away).
    public func run() async throws {
        // A run that was killed may not have seen its stop yet: end it before the next one.
        if stopContinuation != nil { stop() }
        runGeneration &+= 1
        let generation = runGeneration
        try start()
        let loop = self.loop
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                stopContinuation = continuation
            }
        } onCancel: {
            loop.execute { [weak self] in self?.assumeIsolated { $0.stopRun(generation) } }
        }
    }

    /// Stops the run numbered `generation`; a late stop meant for an earlier run is ignored.
    func stopRun(_ generation: UInt64) {
        guard generation == runGeneration else { return }
        stop()
    }

    var runGeneration: UInt64 = 0
    var stopContinuation: CheckedContinuation<Void, Never>?

    /// Stops accepting; open WebSockets are told 1001 and closed after their output.
    public func drain() {
        stopAccepting()
        for case let connection? in connections where connection.state == .webSocket {
            closeWebSocket(connection, code: .goingAway, reason: "draining")
        }
        flushDirty()
    }

    /// Drains, then closes every socket at once.
    public func stop() {
        drain()
        for case let connection? in connections { finalClose(connection) }
        if let tickTimer { loop.cancelTimer(tickTimer) }
        tickTimer = nil
        started = false
        stopContinuation?.resume()
        stopContinuation = nil
    }

    func stopAccepting() {
        guard accepting else { return }
        accepting = false
        loop.deregister(listenFD)
        Syscall.close(listenFD)
        listenFD = -1
    }

    // MARK: Accepting

    func acceptAll() {
        while accepting {
            let fd: Int32
            do {
                guard let accepted = try Socket.accept(listenFD) else { return }
                fd = accepted
            } catch {
                // Out of descriptors (EMFILE/ENFILE): pause accepting for a moment rather than spin.
                Log.error("gateway.accept", ["error": error.description])
                pauseAccepting()
                return
            }
            admit(fd)
        }
    }

    private func pauseAccepting() {
        loop.deregister(listenFD)
        loop.scheduleTimer(after: .milliseconds(100)) { [weak self] in
            self?.assumeIsolated { gateway in
                guard gateway.accepting, let handler = gateway.listenHandler else { return }
                try? gateway.loop.register(gateway.listenFD, events: Epoll.readable, handler: handler)
            }
        }
    }

    private func admit(_ fd: Int32) {
        if connectionCount >= configuration.maxConnections {
            counters.refused.add(1, ordering: .relaxed)
            if configuration.tls == nil {  // a TLS client could not read a plain answer
                let busy = HTTPResponse.error(.serviceUnavailable, message: "too many connections").closingConnection()
                let bytes = busy.serialized()
                _ = bytes.withUnsafeBytes { try? Socket.write(fd, $0) }
            }
            Syscall.close(fd)
            return
        }
        try? Socket.setNoDelay(fd)
        let slot = Int(fd)
        if slot >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: slot - connections.count + 1))
            generations.append(contentsOf: repeatElement(0, count: slot - generations.count + 1))
        }
        generations[slot] &+= 1
        let id = ConnectionID(slot: fd, generation: generations[slot])
        let connection = Connection(
            id: id, fd: fd, now: tick, budget: configuration.defaultBudget, http: configuration.http,
            requestTimeout: configuration.requestTimeoutSeconds)
        guard startTLS(connection) else {
            Syscall.close(fd)
            return
        }
        do {
            try loop.register(fd, events: Epoll.readable | Epoll.readHangup, handler: ConnectionHandler(gateway: self, id: id))
        } catch {
            Syscall.close(fd)
            return
        }
        connections[slot] = connection
        counters.open.add(1, ordering: .relaxed)
        counters.accepted.add(1, ordering: .relaxed)
        wheel.insert(id, at: connection.deadline)
    }

    /// The live connection for `id`, nil when it closed.
    func connection(_ id: ConnectionID) -> Connection? {
        let slot = Int(id.slot)
        guard slot >= 0, slot < connections.count, let connection = connections[slot], connection.id == id else { return nil }
        return connection
    }
}

/// Readiness of the listening socket.
final class ListenHandler: EventLoopHandler {
    weak var gateway: Gateway?
    init(gateway: Gateway) { self.gateway = gateway }
    func handleEvents(_ events: UInt32) {
        gateway?.assumeIsolated { $0.acceptAll() }
    }
}

/// Readiness of one connection's socket.
final class ConnectionHandler: EventLoopHandler {
    weak var gateway: Gateway?
    let id: ConnectionID
    init(gateway: Gateway, id: ConnectionID) {
        self.gateway = gateway
        self.id = id
    }
    func handleEvents(_ events: UInt32) {
        let id = self.id
        gateway?.assumeIsolated { gateway in
            if let connection = gateway.connection(id) { gateway.handle(connection, events: events) }
        }
    }
}

/// Buffers the gateway reuses for every read and write (freed with the gateway).
final class GatewayScratch {
    /// Where every read lands before parsing.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    /// iovecs for one writev.
    let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 64)

    deinit {
        readBuffer.deallocate()
        vectors.deallocate()
    }
}

/// Counters of the gateway, atomics so metrics never hop onto the loop.
public final class GatewayCounters: Sendable {
    /// Connections open now.
    public let open = Atomic<Int>(0)
    /// Connections accepted since start.
    public let accepted = Atomic<Int>(0)
    /// Connections refused (over `maxConnections`).
    public let refused = Atomic<Int>(0)
    /// WebSocket upgrades completed.
    public let upgrades = Atomic<Int>(0)
    /// Bytes received.
    public let bytesIn = Atomic<Int>(0)
    /// Bytes written.
    public let bytesOut = Atomic<Int>(0)
    /// Frames queued for sending.
    public let framesOut = Atomic<Int>(0)
    /// LOW frames dropped by full queues (the new frame, or waiting ones making room).
    public let droppedLow = Atomic<Int>(0)
    /// Frames that did not fit a slow consumer's budget (its connection closed with 4008), by priority.
    public let droppedOverBudget = PriorityCounts()
    /// Connections closed as slow consumers (4008).
    public let slowConsumers = Atomic<Int>(0)
    /// Connections closed for protocol errors.
    public let protocolErrors = Atomic<Int>(0)
    /// Connections closed for a failed TLS handshake or record (plain HTTP or garbage on
    /// the TLS port, no common version or cipher).
    public let tlsFailures = Atomic<Int>(0)

    init() {}
}
