import Actors
import Gateway

/// One active room as operators see it (control socket `rooms` and `inspect`).
public struct RoomInfo: Sendable, Equatable {
    /// The room id.
    public var id: UInt32
    /// Live subscribed connections on this node.
    public var subscribers: Int
    /// Connections still joining.
    public var joining: Int
    /// Distinct users among the connections that joined it here (members online here).
    public var users: Int
    /// Messages posted in the last minute.
    public var messagesLastMinute: Int
    /// Busy or crowded (see `Room.isHot`).
    public var hot: Bool
}

/// How `topRooms` orders rooms.
public enum RoomOrder: String, Sendable, CaseIterable {
    /// Most live subscribers first.
    case subscribers
    /// Most messages in the last minute first.
    case rate
}

// MARK: - Read-only accessors for the control socket and metrics (loop thread only)

extension ChatService {
    /// Active rooms on this node.
    public var roomCount: Int { rooms.count }

    /// The user behind a connection, nil when it has no session.
    public func user(of connection: ConnectionID) -> UInt32? {
        sessions[connection]?.user
    }

    /// Room `id`, nil when it is not active here.
    public func roomInfo(_ id: UInt32) -> RoomInfo? {
        guard let room = rooms[id] else { return nil }
        var users = Set<UInt32>()
        for session in sessions.values where session.rooms.contains(id) { users.insert(session.user) }
        return info(room, users: users.count, nowMs: now())
    }

    /// Every active room (one pass over the sessions for the user counts).
    public func roomInfos() -> [RoomInfo] {
        var users: [UInt32: Set<UInt32>] = [:]
        for session in sessions.values {
            for id in session.rooms { users[id, default: []].insert(session.user) }
        }
        let nowMs = now()
        return rooms.values.map { info($0, users: users[$0.id]?.count ?? 0, nowMs: nowMs) }
    }

    /// The `limit` busiest rooms by `order` (ties by room id).
    public func topRooms(limit: Int, by order: RoomOrder) -> [RoomInfo] {
        let sorted = roomInfos().sorted { lhs, rhs in
            let (left, right) = order == .rate
                ? (lhs.messagesLastMinute, rhs.messagesLastMinute) : (lhs.subscribers, rhs.subscribers)
            return left != right ? left > right : lhs.id < rhs.id
        }
        return Array(sorted.prefix(max(0, limit)))
    }

    private func info(_ room: Room, users: Int, nowMs: Int64) -> RoomInfo {
        room.assumeIsolated { room in
            RoomInfo(
                id: room.id, subscribers: room.liveSubscribers, joining: room.joiningCount, users: users,
                messagesLastMinute: room.messagesLastMinute(nowMs: nowMs), hot: room.isHot(nowMs: nowMs))
        }
    }
}
