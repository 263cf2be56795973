import Actors
import Gateway

/// The chat protocol on top of the gateway: sessions, rooms, DMs, presence.
///
/// Loop-bound: every call comes on the node's event loop thread (gateway callbacks, store
/// completions, timers), so it keeps plain state and enters the gateway and room actors,
/// which share the loop's executor, synchronously. A message goes: decode → checks → room
/// (id, frames built once, local fan-out) → store (the ack waits for it).
public final class ChatService: @unchecked Sendable {
    /// Settings.
    public let configuration: ChatServiceConfiguration
    /// The loop everything runs on.
    public let loop: EventLoop
    let store: ChatStore
    /// Counters for metrics and the control socket, readable from any thread.
    public let counters = ChatCounters()
    let decoder: ClientCommandDecoder
    var gateway: Gateway?
    var roomsSupervisor: Supervisor?
    var sessions: [ConnectionID: ClientSession] = [:]
    var userConnections: [UInt32: Set<ConnectionID>] = [:]
    var watchers: [UInt32: Set<ConnectionID>] = [:]
    var rooms: [UInt32: Room] = [:]
    var dmAcks: [String: (id: UInt64, ts: Int64, atMs: Int64)] = [:]
    var tierCounts: [ConnectionTier: Int] = [:]
    var idleConnections: Set<ConnectionID> = []
    var pacers: [UInt32: RoomPacer] = [:]
    var idGenerator: MessageIDGenerator
    var rateLimiter: UserRateLimiter
    /// Other nodes, through Valkey pub/sub (nil on a node alone).
    public internal(set) var crossNode: CrossNodeLink?
    /// What the service keeps about other nodes (presence, ordering, rates).
    let crossNodeState = CrossNodeState()
    /// This process's identity on the room channels (its own publications are skipped).
    public let instance = UInt64.random(in: 1...UInt64.max)
    /// The degradation level in force (set by the load monitor through `setLevel`).
    public internal(set) var level = LoadLevel.normal
    /// Wall clock in milliseconds (injected for tests).
    let now: @Sendable () -> Int64

    /// A service over `store`, on `loop`.
    public init(configuration: ChatServiceConfiguration, store: ChatStore, loop: EventLoop,
                now: @escaping @Sendable () -> Int64 = WallClock.nowMs) {
        self.configuration = configuration
        self.store = store
        self.loop = loop
        self.now = now
        self.decoder = ClientCommandDecoder(maxTextBytes: configuration.maxTextBytes)
        self.idGenerator = MessageIDGenerator(nodeID: configuration.nodeID)
        var limits = TokenBucket.Configuration()
        limits.perMinute = configuration.rateLimitPerMinute
        self.rateLimiter = UserRateLimiter(configuration: limits)
    }

    /// Connects the service to its gateway and (optionally) the rooms supervisor; starts
    /// the idle-room sweep. Call on the loop thread before traffic.
    public func attach(gateway: Gateway, roomsSupervisor: Supervisor?) {
        self.gateway = gateway
        self.roomsSupervisor = roomsSupervisor
        loop.scheduleRepeating(every: .seconds(10)) { [weak self] in
            self?.sweepIdleRooms()
            self?.sweepTiers()
        }
    }

    /// Open WebSockets handled by the service.
    public var sessionCount: Int { sessions.count }

    /// Whether `user` has an open connection on this node.
    public func isOnline(_ user: UInt32) -> Bool { !(userConnections[user]?.isEmpty ?? true) }

    // MARK: Gateway events

    /// A WebSocket opened for an authenticated user.
    public func opened(_ connection: ConnectionID, claims: JWTClaims) {
        let session = ClientSession(connection: connection, claims: claims)
        session.lastActivityMs = now()
        sessions[connection] = session
        session.tier = ConnectionTier.of(premium: claims.isPremium, lastSentMs: nil,
                                         lastActivityMs: session.lastActivityMs, nowMs: session.lastActivityMs)
        tierCounts[session.tier, default: 0] += 1
        let budget = session.tier.budget
        _ = gateway?.assumeIsolated { $0.setBudget(connection, bytes: budget) }
        let first = userConnections[claims.userID]?.isEmpty ?? true
        userConnections[claims.userID, default: []].insert(connection)
        greet(connection)
        if first { presenceChanged(claims.userID, online: true) }
    }

    /// A whole message from a client.
    public func received(_ message: WebSocketMessage, from connection: ConnectionID) {
        guard let session = sessions[connection] else { return }
        counters.received.add(1, ordering: .relaxed)
        let command: ClientCommand
        do {
            switch message {
            case .text(let bytes):
                command = try decoder.decode(bytes)
            case .binary(let bytes):
                if !session.binary { switchToBinary(session) }
                command = try decoder.decodeBinary(bytes)
            default:
                return
            }
        } catch {
            return reply(error, to: session)
        }
        counters.receivedByPriority.add(command.priority)
        switch command {
        case .send, .dm, .edit: noteActivity(session, sent: true)
        default: noteActivity(session, sent: false)
        }
        noteRoomActivity(command, session)
        handle(command, from: session)
    }

    /// A WebSocket closed.
    public func closed(_ connection: ConnectionID) {
        guard let session = sessions.removeValue(forKey: connection) else { return }
        tierCounts[session.tier, default: 0] -= 1
        idleConnections.remove(connection)
        for room in session.rooms {
            _ = rooms[room]?.assumeIsolated { $0.unsubscribe(connection) }
        }
        for user in session.watching {
            watchers[user]?.remove(connection)
            if watchers[user]?.isEmpty ?? false { watchers[user] = nil }
        }
        userConnections[session.user]?.remove(connection)
        if userConnections[session.user]?.isEmpty ?? false {
            userConnections[session.user] = nil
            presenceChanged(session.user, online: false)
        }
    }

    private func switchToBinary(_ session: ClientSession) {
        session.binary = true
        for id in session.rooms {
            _ = rooms[id]?.assumeIsolated { $0.switchToBinary(session.connection) }
        }
    }

    // MARK: Sending

    /// Sends JSON bytes to one connection.
    func send(_ bytes: [UInt8], to connection: ConnectionID, priority: MessagePriority = .high) {
        guard let gateway else { return }
        let message = OutboundMessage(payload: bytes, priority: priority)
        _ = gateway.assumeIsolated { $0.send(message, to: connection) }
    }

    /// Sends an error event.
    func reply(_ error: ProtocolError, to session: ClientSession) {
        send(ServerEventEncoder.error(error), to: session.connection, priority: .critical)
    }

    /// Delivers frames built by a room.
    func deliver(_ delivery: Delivery) {
        guard let gateway, delivery.count > 0 else { return }
        counters.noteDelivered(delivery.count, delivery.json.priority)
        gateway.assumeIsolated { delivery.deliver(on: $0) }
    }
}
