import Actors
import Gateway
import Rooms
import Shards
import Synchronization

/// This node's `NODE_ID`, held in Valkey by a heartbeat key `node:<N>` whose value is the
/// process's random instance id.
///
/// ```
/// start ── configured N ──▶ SET node:N <instance> NX PX 12000 ── OK ──▶ held
///    │                          └─ taken ─▶ watch its PTTL (500 ms) ─ expired ─▶ again
///    │                                                            └─ refreshed ─▶ conflict (exit 2)
///    └──── none ─────────▶ SET node:0 NX, node:1 NX, ... the first free id ──▶ held
/// held ── every 4 s: refresh (script: PEXPIRE if ours, SET if gone, else "taken")
/// stop ── DEL node:N if it is still ours
/// ```
///
/// A dead node's key expires within 12 s of its last refresh, so its id becomes claimable
/// and its users' sessions stop counting. A configured id held by a crashed predecessor is
/// taken as soon as that key expires (so a restart policy that restarts at once works); one
/// that keeps being refreshed belongs to a live node, and this node refuses to start. When
/// Valkey does not answer within 3 s a configured id is used unchecked (the node serves
/// from its own memory meanwhile, as it does through any Valkey outage) and the heartbeat
/// takes the key when Valkey comes back; a claimed id waits for Valkey.
///
/// Loop-bound: every method but `established` and `release` runs on the loop thread.
public final class NodeIdentity: @unchecked Sendable {
    /// Why no id could be held.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The configured id is held by another live node.
        case conflict(UInt16)
        /// All 1024 ids are held.
        case exhausted

        public var description: String {
            switch self {
            case .conflict(let id):
                return "NODE_ID \(id) is held by another live node (its heartbeat key node:\(id) keeps being refreshed)"
            case .exhausted: return "all 1024 node ids are held by live nodes"
            }
        }
    }

    let client: any ValkeyClient
    let loop: EventLoop
    let instance: UInt64
    let configured: UInt16?
    /// The id held, -1 before; readable from any thread.
    public let current = Atomic<Int>(-1)
    private var failure: Failure?
    private var waiters: [CheckedContinuation<UInt16, any Error>] = []
    private var heartbeatTimer: UInt64?
    private var released = false
    /// Whether Valkey answered any command of the claim.
    private var answered = false
    private let onClaimed: (UInt16) -> Void
    private let onRecreated: () -> Void

    /// An identity for the process `instance`, through `client`. `onClaimed` gets every id
    /// taken (the first, and a new one if a claimed id is lost); `onRecreated` runs when
    /// the heartbeat found its key gone and set it again (Valkey restarted, or the node was
    /// cut off past the TTL). Both on the loop.
    public init(client: any ValkeyClient, loop: EventLoop, instance: UInt64, configured: UInt16?,
                onClaimed: @escaping (UInt16) -> Void, onRecreated: @escaping () -> Void) {
        self.client = client
        self.loop = loop
        self.instance = instance
        self.configured = configured
        self.onClaimed = onClaimed
        self.onRecreated = onRecreated
    }

    // MARK: Start and stop

    /// Starts claiming. Loop thread.
    public func start() {
        released = false
        guard current.load(ordering: .relaxed) < 0 else { return startHeartbeat() }
        if let configured {
            claimConfigured(configured, watch: nil)
            loop.scheduleTimer(after: .seconds(3)) { [self] in
                guard current.load(ordering: .relaxed) < 0, failure == nil, !answered else { return }
                Log.warn("node.id_unchecked", ["node": String(configured), "reason": "valkey did not answer within 3 s"])
                hold(configured)
            }
        } else {
            claimFree(candidate: 0, tried: 0)
            loop.scheduleTimer(after: .seconds(3)) { [self] in
                guard current.load(ordering: .relaxed) < 0, failure == nil else { return }
                Log.warn("node.id_waiting", ["reason": "valkey did not answer within 3 s; NODE_ID is claimed from it"])
            }
        }
    }

    /// Waits until an id is held (or throws the failure). Any thread.
    public func established() async throws -> UInt16 {
        try await withCheckedThrowingContinuation { continuation in
            loop.execute { [self] in
                let id = current.load(ordering: .relaxed)
                if id >= 0 {
                    startHeartbeat()
                    continuation.resume(returning: UInt16(id))
                } else if let failure {
                    continuation.resume(throwing: failure)
                } else {
                    waiters.append(continuation)
                }
            }
        }
    }

    /// The failure that stopped the claim, if any (read after the node stopped).
    public var failureReason: Failure? {
        get async { await withCheckedContinuation { continuation in loop.execute { continuation.resume(returning: self.failure) } } }
    }

    /// Stops the heartbeat and deletes the key if it is still ours (waits at most 1 s for
    /// Valkey). Any thread.
    public func release() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute { [self] in
                released = true
                if let timer = heartbeatTimer { loop.cancelTimer(timer) }
                heartbeatTimer = nil
                let id = current.load(ordering: .relaxed)
                guard id >= 0 else { return continuation.resume() }
                var done = false
                let finish = { if !done { done = true; continuation.resume() } }
                loop.scheduleTimer(after: .seconds(1)) { finish() }
                let key = Keyspace.nodeHeartbeat(String(id))
                send(["EVAL", Self.releaseScript, "1", Keyspace.text(key), String(instance)], key: key) { _ in finish() }
            }
        }
    }

    // MARK: Claiming

    private func claimFree(candidate: UInt16, tried: Int) {
        guard failure == nil, current.load(ordering: .relaxed) < 0 || tried > 0 else { return }
        guard tried <= Int(MessageID.maxNodeID) else { return fail(.exhausted) }
        let key = Keyspace.nodeHeartbeat(String(candidate))
        send(["SET", Keyspace.text(key), String(instance), "NX", "PX", String(CrossNodeTiming.heartbeatTTLMs)], key: key) { [self] reply in
            guard let reply, reply.errorMessage == nil else {
                loop.scheduleTimer(after: .seconds(1)) { [self] in claimFree(candidate: candidate, tried: tried) }
                return
            }
            if reply.isNull {
                claimFree(candidate: candidate == MessageID.maxNodeID ? 0 : candidate + 1, tried: tried + 1)
            } else {
                hold(candidate)
            }
        }
    }

    /// Takes the configured id, or watches the key that holds it: gone → take it; its TTL
    /// went up (refreshed by a live node) or it outlived one TTL → conflict.
    private func claimConfigured(_ id: UInt16, watch: (pttl: Int64, sinceMs: Int64)?) {
        guard current.load(ordering: .relaxed) < 0, failure == nil else { return }
        let key = Keyspace.nodeHeartbeat(String(id))
        let text = Keyspace.text(key)
        send(["SET", text, String(instance), "NX", "PX", String(CrossNodeTiming.heartbeatTTLMs)], key: key) { [self] reply in
            guard let reply, reply.errorMessage == nil else { return }  // the 3 s timer decides
            guard reply.isNull else { return hold(id) }
            send(["PTTL", text], key: key) { [self] ttl in
                guard let pttl = ttl?.integer else { return }
                let nowMs = WallClock.nowMs()
                if let watch, pttl > watch.pttl + 200 || nowMs - watch.sinceMs > CrossNodeTiming.heartbeatTTLMs + 1000 {
                    return fail(.conflict(id))
                }
                let next = (pttl: pttl, sinceMs: watch?.sinceMs ?? nowMs)
                if watch == nil {
                    Log.warn("node.id_held", ["node": String(id), "reason": "waiting to see whether its holder is alive"])
                }
                loop.scheduleTimer(after: .milliseconds(pttl < 0 ? 10 : 500)) { [self] in claimConfigured(id, watch: next) }
            }
        }
    }

    private func hold(_ id: UInt16) {
        guard current.load(ordering: .relaxed) != Int(id) else { return }
        current.store(Int(id), ordering: .relaxed)
        Log.info("node.id", ["node": String(id), "configured": String(configured != nil)])
        onClaimed(id)
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume(returning: id) }
        startHeartbeat()
    }

    private func fail(_ reason: Failure) {
        failure = reason
        Log.error("node.id_failed", ["reason": reason.description])
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume(throwing: reason) }
    }

    // MARK: Heartbeat

    private func startHeartbeat() {
        guard heartbeatTimer == nil, !released else { return }
        heartbeatTimer = loop.scheduleRepeating(every: .milliseconds(CrossNodeTiming.heartbeatIntervalMs)) { [weak self] in
            self?.beat()
        }
    }

    private func beat() {
        let id = current.load(ordering: .relaxed)
        guard id >= 0, !released else { return }
        let key = Keyspace.nodeHeartbeat(String(id))
        send(["EVAL", Self.refreshScript, "1", Keyspace.text(key), String(instance), String(CrossNodeTiming.heartbeatTTLMs)],
             key: key) { [self] reply in
            guard !released, current.load(ordering: .relaxed) == id else { return }
            switch reply?.integer {
            case 1: break
            case 2:
                Log.warn("node.heartbeat_recreated", ["node": String(id)])
                onRecreated()
            case 0:
                Log.error("node.id_taken", ["node": String(id), "configured": String(configured != nil)])
                guard configured == nil else { return }
                // A claimed id went to another node (this one was cut off past the TTL): take another.
                current.store(-1, ordering: .relaxed)
                claimFree(candidate: 0, tried: 1)
            default:
                Log.warn("node.heartbeat_failed", ["node": String(id), "reply": reply.map { String(describing: $0) } ?? "none"])
            }
        }
    }

    /// Refresh: 1 = ours and refreshed; 2 = gone and set again; 0 = another instance holds it.
    static let refreshScript = """
        local v = redis.call('GET', KEYS[1])
        if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
        return 0
        """

    /// Release: delete the key only while it is ours.
    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    // MARK: Valkey

    /// Sends one command routed by `key`; the completion gets its reply, or nil when the
    /// link failed or refused it.
    private func send(_ arguments: [String], key: [UInt8], completion: @escaping (RESPValue?) -> Void) {
        var encoder = RESPEncoder(reservingCapacity: 256)
        encoder.command(arguments: arguments)
        let batch = encoder.take()
        nonisolated(unsafe) let completion = completion
        let queued = client.assumeIsolated { client in
            client.submit(batch, commands: 1, key: key) { [weak self] result in
                let reply = try? result.get().first
                if reply != nil { self?.answered = true }
                completion(reply)
            }
        }
        if !queued { completion(nil) }
    }
}
