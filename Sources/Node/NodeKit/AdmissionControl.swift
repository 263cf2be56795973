import Actors
import Gateway
import Rooms
import Synchronization

/// The node's admission queue for WebSocket upgrades (`AdmissionQueue` decides): at
/// `MAX_CONNECTIONS` or at the `critical` level an authenticated upgrade is held by the
/// gateway (`GatewayRoute.hold`) instead of opened, and opened when a connection closes,
/// the level drops or (at critical) the admission rate allows; past the queue's bound or
/// its maximum wait it is answered `503` with `Retry-After`.
///
/// Loop-bound: called from the gateway's routing, its close events and the loop's timers,
/// all on the node's loop. One timer, armed only while someone waits, expires waiters.
final class AdmissionControl: @unchecked Sendable {
    /// A held upgrade: where it waits and what it asked for.
    struct Waiter {
        let gateway: Gateway
        let connection: ConnectionID
        let request: HTTPRequest
        let session: Session
    }

    private var queue: AdmissionQueue<Waiter>
    private let maxOpen: Int
    private let openWebSockets: () -> Int
    private let level: () -> LoadLevel
    private let isDraining: () -> Bool
    private let now: () -> Int64
    private var timerArmed = false
    /// What it did, for metrics.
    let counters: AdmissionCounters

    init(configuration: AdmissionQueue<Waiter>.Configuration, maxOpen: Int, openWebSockets: @escaping () -> Int,
         level: @escaping () -> LoadLevel, isDraining: @escaping () -> Bool, counters: AdmissionCounters = AdmissionCounters(),
         now: @escaping () -> Int64 = WallClock.nowMs) {
        self.counters = counters
        self.queue = AdmissionQueue(configuration: configuration)
        self.maxOpen = maxOpen
        self.openWebSockets = openWebSockets
        self.level = level
        self.isDraining = isDraining
        self.now = now
    }

    /// Upgrades waiting now.
    var waiting: Int { queue.count }

    /// The route of an authenticated upgrade: open it, hold it, or refuse it.
    func route(_ request: HTTPRequest, session: Session, on gateway: isolated Gateway) -> GatewayRoute {
        if queue.count == 0 && openWebSockets() < maxOpen && level() < .critical { return .upgrade(session: session) }
        guard queue.count < queue.configuration.capacity else { return .respond(refusal("busy, retry later")) }
        let seconds = UInt64(max(1, (queue.configuration.maxWaitMs + 999) / 1000))
        return .hold(seconds: seconds) { [self] connection in
            let waiter = Waiter(gateway: gateway, connection: connection, request: request, session: session)
            switch queue.arrive(waiter, open: openWebSockets(), maxOpen: maxOpen, level: level(), nowMs: now()) {
            case .admit: answer(waiter, nil)
            case .wait:
                counters.waiting.store(queue.count, ordering: .relaxed)
                armTimer(gateway.loop)
            case .refuse: answer(waiter, refusal("busy, retry later"))
            }
        }
    }

    /// Capacity may have freed (a connection closed, the level changed): admit who may enter.
    func poll() {
        if isDraining() {
            for waiter in queue.removeAll() { answer(waiter, refusal("draining")) }
            counters.waiting.store(0, ordering: .relaxed)
            return
        }
        let (admit, expired) = queue.poll(open: openWebSockets(), maxOpen: maxOpen, level: level(), nowMs: now())
        for waiter in expired { answer(waiter, refusal("busy, retry later")) }
        counters.waiting.store(queue.count, ordering: .relaxed)
        for waiter in admit where answer(waiter, nil) {
            counters.admittedAfterWait.add(1, ordering: .relaxed)
        }
    }

    /// Opens the waiter's WebSocket (`refusal` nil) or answers it with `refusal`.
    @discardableResult
    private func answer(_ waiter: Waiter, _ refusal: HTTPResponse?) -> Bool {
        let (connection, request, session) = (waiter.connection, waiter.request, waiter.session)
        return waiter.gateway.assumeIsolated { gateway in
            gateway.resume(connection, request: request, with: refusal.map { .respond($0) } ?? .upgrade(session: session))
        }
    }

    private func armTimer(_ loop: EventLoop) {
        guard !timerArmed else { return }
        timerArmed = true
        loop.scheduleTimer(after: .milliseconds(100)) { [weak self] in
            guard let self else { return }
            timerArmed = false
            poll()
            if queue.count > 0 { armTimer(loop) }
        }
    }

    /// `503 Service Unavailable` with `Retry-After` (5 to 15 s, spread so that refused
    /// clients do not come back together) and a short JSON body.
    func refusal(_ reason: String) -> HTTPResponse {
        counters.refused.add(1, ordering: .relaxed)
        var response = HTTPResponse.error(.serviceUnavailable, message: reason).closingConnection()
        response.headers.replaceOrAdd(name: "Retry-After", value: String(Int.random(in: 5...15)))
        return response
    }
}

extension Node {
    /// The admission queue of the configuration, over the chat service's open WebSockets
    /// and the level in force.
    static func admissionControl(_ configuration: NodeConfiguration, chat: ChatService,
                                 operations: NodeOperations) -> AdmissionControl {
        let settings = AdmissionQueue<AdmissionControl.Waiter>.Configuration(
            capacity: configuration.admissionQueue, maxWaitMs: Int64(configuration.admissionWaitMs),
            ratePerSecond: configuration.admissionRate)
        let degradation = operations.degradation
        return AdmissionControl(
            configuration: settings, maxOpen: configuration.maxConnections, openWebSockets: { chat.sessionCount },
            level: { degradation.effective }, isDraining: { operations.isDraining },
            counters: operations.admission)
    }
}

/// Counters of the admission queue, readable from any thread (metrics).
public final class AdmissionCounters: Sendable {
    /// Upgrades waiting now.
    public let waiting = Atomic<Int>(0)
    /// Upgrades that waited and were then opened.
    public let admittedAfterWait = Atomic<Int>(0)
    /// Upgrades answered 503 (queue full, wait ran out, draining).
    public let refused = Atomic<Int>(0)

    /// Zeroed counters.
    public init() {}
}
