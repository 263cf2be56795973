@preconcurrency import Glibc
import Actors
import Gateway
import Synchronization

/// Settings of the control socket server.
public struct ControlServerConfiguration: Sendable {
    /// Largest request line in bytes (64 KiB); a longer one gets an error reply.
    public var maxRequestBytes = 64 * 1024
    /// Clients connected at once at most; more are told so and closed.
    public var maxClients = 64
    /// Requests read ahead per client while one runs; reading pauses past it.
    public var maxQueuedRequests = 64
    /// Reply bytes a client may leave unread before it is dropped.
    public var maxOutputBytes = 32 << 20
    /// The token every request must carry (`CONTROL_TOKEN`), nil for none.
    public var token: String?
    /// Largest broadcast text in bytes.
    public var maxTextBytes = 4096

    /// The defaults above.
    public init() {}
}

/// The admin control socket (`/node/control`): line-delimited JSON over a Unix domain
/// socket, served on a loop thread of its own so operators never block the hot path.
///
/// An actor on its own `EventLoop`: readiness events enter it synchronously. Each client's
/// requests run one at a time, in order (a request hops to the node's loop for data and
/// back); different clients run concurrently. As a supervised child, `run` serves until
/// cancelled: clients are then closed, each after the reply to its request in flight
/// (so `kill /node/control` is answered); the listening socket outlives incarnations and
/// is closed by `close()` when the node stops.
///
/// ```
/// client ── bytes ──> ControlLineReader ── lines ──> parse ─┬─ error ──> reply
///                                                           └─ ok ──> Task: execute ──> reply
/// ```
public actor ControlServer: Inspectable {
    /// The loop the server runs on (its own thread).
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// The listening socket.
    public nonisolated let listener: ControlListener
    nonisolated let configuration: ControlServerConfiguration
    nonisolated let commands: ControlCommands
    nonisolated let inFlight = Atomic<Int>(0)
    nonisolated let handled = Atomic<Int>(0)
    nonisolated let connectedClients = Atomic<Int>(0)

    var clients: [UInt64: ControlClient] = [:]
    var nextClientID: UInt64 = 0
    var serving = false
    var generation = 0
    var stopRequested = false
    var stopContinuation: CheckedContinuation<Void, Never>?
    let readBuffer = ControlReadBuffer()

    init(loop: EventLoop, listener: ControlListener, configuration: ControlServerConfiguration, commands: ControlCommands) {
        self.loop = loop
        self.listener = listener
        self.configuration = configuration
        self.commands = commands
    }

    /// The run loop as a supervised child: serves until cancelled.
    public func run(_ context: ChildContext?) async {
        context?.register(self)
        // A killed incarnation is abandoned at once: its stop may not have run yet. Take over.
        if serving { stopServing(generation) }
        generation += 1
        let mine = generation
        stopRequested = false
        do {
            try loop.register(listener.fd, events: Epoll.readable, handler: ControlListenHandler(server: self))
        } catch {
            Log.error("control.listen", ["error": error.description])
            return
        }
        serving = true
        Log.info("control.listening", ["path": listener.path])
        let loop = self.loop
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if stopRequested {
                    continuation.resume()
                } else {
                    stopContinuation = continuation
                }
            }
        } onCancel: {
            loop.execute { [weak self] in self?.assumeIsolated { $0.stopServing(mine) } }
        }
    }

    /// Stops incarnation `generation` (a stale request from an older one is ignored):
    /// stops accepting and closes clients, each after its reply in flight.
    func stopServing(_ generation: Int) {
        guard generation == self.generation else { return }
        stopRequested = true
        if serving {
            serving = false
            loop.deregister(listener.fd)
            for client in clients.values {
                client.closeWhenIdle = true
                settle(client)
            }
        }
        stopContinuation?.resume()
        stopContinuation = nil
    }

    // MARK: Accepting

    func acceptAll() {
        while serving {
            let fd: Int32
            do {
                guard let accepted = try Socket.accept(listener.fd) else { return }
                fd = accepted
            } catch {
                Log.error("control.accept", ["error": error.description])
                return
            }
            guard clients.count < configuration.maxClients else {
                let refusal = ControlReply.failure("too many control clients (\(configuration.maxClients))", id: nil)
                _ = refusal.withUnsafeBytes { try? Socket.write(fd, $0) }
                Syscall.close(fd)
                continue
            }
            nextClientID += 1
            let client = ControlClient(id: nextClientID, fd: fd, limit: configuration.maxRequestBytes)
            do {
                try loop.register(fd, events: Epoll.readable | Epoll.readHangup, handler: ControlClientHandler(server: self, id: client.id))
            } catch {
                Syscall.close(fd)
                continue
            }
            clients[client.id] = client
            connectedClients.store(clients.count, ordering: .relaxed)
        }
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { inFlight.load(ordering: .relaxed) }
    public nonisolated var processed: Int { handled.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        "clients=\(clients.count) in_flight=\(inFlight.load(ordering: .relaxed)) token=\(configuration.token != nil)"
    }

    public func inspectionDetails() async -> [String: String] {
        ["socket": listener.path, "clients": String(clients.count), "requests": String(handled.load(ordering: .relaxed))]
    }
}

/// The read buffer every client read goes through (freed with the server).
final class ControlReadBuffer: @unchecked Sendable {
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    deinit { bytes.deallocate() }
}

/// Readiness of the listening socket.
final class ControlListenHandler: EventLoopHandler {
    weak var server: ControlServer?
    init(server: ControlServer) { self.server = server }
    func handleEvents(_ events: UInt32) {
        server?.assumeIsolated { $0.acceptAll() }
    }
}

/// Readiness of one client's socket.
final class ControlClientHandler: EventLoopHandler {
    weak var server: ControlServer?
    let id: UInt64
    init(server: ControlServer, id: UInt64) {
        self.server = server
        self.id = id
    }
    func handleEvents(_ events: UInt32) {
        let id = self.id
        server?.assumeIsolated { $0.handle(id, events: events) }
    }
}
