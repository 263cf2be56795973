import Actors
import Gateway

// MARK: - What operators see of a room (control socket `inspect`, `rooms`)

extension Room {
    /// Messages a minute from which a room counts as hot.
    public static let hotMessagesPerMinute = 10
    /// Live subscribers from which a room counts as hot.
    public static let hotSubscribers = 100

    /// Live subscribers (JSON and binary), not counting connections still joining.
    public var liveSubscribers: Int { jsonSubscribers.count + binarySubscribers.count }

    /// Connections still joining (their `joined` is on its way).
    public var joiningCount: Int { joining.count }

    /// Whether the room is hot: busy (over `hotMessagesPerMinute`) or crowded (at least
    /// `hotSubscribers` live subscribers).
    public func isHot(nowMs: Int64) -> Bool {
        messagesLastMinute(nowMs: nowMs) > Self.hotMessagesPerMinute || liveSubscribers >= Self.hotSubscribers
    }

    public func inspectionDetails() async -> [String: String] {
        let nowMs = WallClock.nowMs()
        return [
            "room": String(id),
            "subscribers": String(liveSubscribers),
            "subscribers_json": String(jsonSubscribers.count),
            "subscribers_binary": String(binarySubscribers.count),
            "joining": String(joining.count),
            "messages_per_min": String(messagesLastMinute(nowMs: nowMs)),
            "hot": String(isHot(nowMs: nowMs)),
            "cids_remembered": String(acks.count),
            "idle_ms": String(max(0, nowMs - lastActivityMs)),
        ]
    }
}
