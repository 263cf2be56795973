@preconcurrency import Glibc
import Actors
import Synchronization

/// The gateway: owns the listening socket and every client connection, on one event loop.
///
/// An actor whose executor is its loop: readiness events enter it synchronously on the
/// loop's thread, and so do calls from actors that share the loop (rooms, shard links).
/// Reads go through one shared buffer; writes are queued per connection as references to
/// shared frames and flushed with one `writev` per connection at the end of each loop round.
///
/// With I/O loops (`init(loop:ioLoops:...)`, `GATEWAY_LOOPS`), this gateway (loop 0) also
/// owns one gateway per I/O loop, each with its own SO_REUSEPORT listener on the same port;
/// the application still sees only this one: callbacks of their connections arrive here in
/// batches, and sends to them leave in batches per loop (`Loops/`, docs/architecture.md).
public actor Gateway {
    /// The loop everything here runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// Settings.
    public nonisolated let configuration: GatewayConfiguration
    /// Counters for metrics, readable from any thread (shared by every loop's gateway).
    public nonisolated let counters: GatewayCounters
    /// Index of this gateway's loop: 0 for the gateway the application sees, 1... for the
    /// gateways of its I/O loops.
    public nonisolated let loopIndex: Int
    /// The gateways of the I/O loops 1..<n (on loop 0; empty with one loop or on an I/O loop).
    nonisolated let ioGateways: [Gateway]
    /// Loop 0: where I/O loops post application callbacks (nil with one loop).
    nonisolated let upcallInbox: LoopMailbox<Upcall>?
    /// An I/O loop: where loop 0 posts sends and control (nil on loop 0).
    nonisolated let downcallInbox: LoopMailbox<Downcall>?
    /// An I/O loop: loop 0's `upcallInbox` (nil on loop 0).
    nonisolated let uplink: LoopMailbox<Upcall>?
    /// Hand-offs gathered this round, posted at its end (`postHandoff`).
    var downcalls: [[Downcall]] = []
    var upcalls: [Upcall] = []
    var handoffPending = false
    var upcallSpare: [Upcall] = []
    var downcallSpare: [Downcall] = []
    var inboxRegistered = false
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
        self.init(loop: loop, index: 0, configuration: configuration, application: application, counters: GatewayCounters(),
                  ioGateways: [], upcallInbox: nil, downcallInbox: nil, uplink: nil)
    }

    /// A gateway on `loop` serving `application` whose connections are spread over `loop`
    /// and `ioLoops` (SO_REUSEPORT listeners on one port). Every application callback comes
    /// on `loop`; `start()` opens the port on every loop.
    public init(loop: EventLoop, ioLoops: [EventLoop], configuration: GatewayConfiguration,
                application: any GatewayApplication) throws(SystemError) {
        guard !ioLoops.isEmpty else {
            self.init(loop: loop, configuration: configuration, application: application)
            return
        }
        let counters = GatewayCounters()
        let upcallInbox = try LoopMailbox<Upcall>()
        var workers: [Gateway] = []
        for (offset, ioLoop) in ioLoops.prefix(ConnectionID.maxLoop).enumerated() {
            let inbox = try LoopMailbox<Downcall>()
            workers.append(Gateway(
                loop: ioLoop, index: offset + 1, configuration: configuration, application: ApplicationOnLoopZero(),
                counters: counters,
                ioGateways: [], upcallInbox: nil, downcallInbox: inbox, uplink: upcallInbox))
        }
        self.init(loop: loop, index: 0, configuration: configuration, application: application, counters: counters,
                  ioGateways: workers, upcallInbox: upcallInbox, downcallInbox: nil, uplink: nil)
        for worker in workers { worker.loop.execute { worker.assumeIsolated { $0.registerInbox() } } }
    }

    private init(loop: EventLoop, index: Int, configuration: GatewayConfiguration, application: any GatewayApplication,
                 counters: GatewayCounters, ioGateways: [Gateway], upcallInbox: LoopMailbox<Upcall>?,
                 downcallInbox: LoopMailbox<Downcall>?, uplink: LoopMailbox<Upcall>?) {
        self.loop = loop
        self.loopIndex = index
        self.configuration = configuration
        self.application = application
        self.counters = counters
        self.ioGateways = ioGateways
        self.upcallInbox = upcallInbox
        self.downcallInbox = downcallInbox
        self.uplink = uplink
        self.downcalls = Array(repeating: [], count: ioGateways.count)
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

    /// Listens and starts serving (on every loop: each I/O loop gets its own listener on
    /// the same port, bound here so that the port is known and taken when this returns).
    public func start() throws(SystemError) {
        guard !started else { return }
        let fd = try Socket.listen(host: configuration.host, port: configuration.port, reusePort: !ioGateways.isEmpty)
        let ioListeners: [Int32]
        do {
            let boundPort = try Socket.localPort(fd)
            ioListeners = try Self.listeners(count: ioGateways.count, host: configuration.host, port: boundPort)
            try serve(listener: fd, port: boundPort)
        } catch {
            Syscall.close(fd)
            throw error
        }
        startIOLoops(listeners: ioListeners)
        Log.info("gateway.listening", [
            "host": configuration.host, "port": String(port), "tls": configuration.tls == nil ? "off" : "on",
            "loops": String(ioGateways.count + 1),
        ])
    }

    /// Serves `listener`, a socket listening on `port`: accepts, ticks, flushes each round.
    func serve(listener: Int32, port: Int) throws(SystemError) {
        let handler = ListenHandler(gateway: self)
        try loop.register(listener, events: Epoll.readable, handler: handler)
        listenFD = listener
        self.port = port
        listenHandler = handler
        accepting = true
        started = true
        if !roundHookInstalled {
            roundHookInstalled = true
            loop.onEveryRound { [weak self] in self?.assumeIsolated { $0.flushDirty() } }
        }
        tickTimer = loop.scheduleRepeating(every: .seconds(1)) { [weak self] in self?.assumeIsolated { $0.onTick() } }
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
        await waitForIOLoopsToStop()
    }

    /// `stop()`, returning once every I/O loop has closed its sockets too (`stop()` only
    /// posts their stop): call it before shutting the loops down.
    public func stopEveryLoop() async {
        stop()
        await waitForIOLoopsToStop()
    }

    /// Stops each I/O loop's gateway now (its posted stop then finds nothing to do).
    private func waitForIOLoopsToStop() async {
        for worker in ioGateways where !started { await worker.stop() }
    }

    /// Stops the run numbered `generation`; a late stop meant for an earlier run is ignored.
    func stopRun(_ generation: UInt64) {
        guard generation == runGeneration else { return }
        stop()
    }

    var runGeneration: UInt64 = 0
    var stopContinuation: CheckedContinuation<Void, Never>?

    /// Stops accepting; open WebSockets are told 1001 and closed after their output (on
    /// every loop).
    public func drain() {
        stopAccepting()
        for case let connection? in connections where connection.state == .webSocket {
            closeWebSocket(connection, code: .goingAway, reason: "draining")
        }
        for worker in ioGateways { _ = forward(.drain, toLoop: worker.loopIndex) }
        flushDirty()
    }

    /// Drains, then closes every socket at once (on every loop).
    public func stop() {
        drain()
        for case let connection? in connections { finalClose(connection) }
        for worker in ioGateways { _ = forward(.stop, toLoop: worker.loopIndex) }
        postHandoff()
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
        // The id carries 24 bits of descriptor (`ConnectionID.maxSlot`): refuse rather than truncate.
        if connectionCount >= configuration.maxConnections || fd > ConnectionID.maxSlot {
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
        let id = ConnectionID(slot: fd, generation: generations[slot], loop: loopIndex)
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

    /// The live connection for `id` on this loop, nil when it closed.
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
