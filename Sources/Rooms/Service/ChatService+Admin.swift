import Actors
import Gateway

// MARK: - Operator actions (control socket `broadcast`)

extension ChatService {
    /// The user id admin messages come from.
    public static let adminUserID: UInt32 = 0

    /// Sends an admin message at CRITICAL priority, live only (not stored): to the
    /// subscribers of `room` as a `msg` of that room, or, without a room, to every open
    /// connection as a `msg` with `"dm": 0`. The frame is encoded once for all recipients.
    /// Returns the number of connections it was handed to. Loop thread only.
    @discardableResult
    public func adminBroadcast(text: String, room: UInt32?) -> Int {
        guard let gateway else { return 0 }
        let time = now()
        let id = idGenerator.next(nowMs: time)
        counters.adminBroadcasts.add(1, ordering: .relaxed)
        if let room {
            guard let active = rooms[room] else { return 0 }
            let message = ChatMessage(chat: .room(room), id: id, from: Self.adminUserID, ts: time, text: text)
            let delivery = active.assumeIsolated { $0.post(message, except: nil, nowMs: time, priority: .critical) }
            deliver(delivery)
            return delivery.count
        }
        let message = ChatMessage(chat: .dm(peer: Self.adminUserID), id: id, from: Self.adminUserID, ts: time, text: text)
        let frame = OutboundMessage(payload: ServerEventEncoder.msg(message), priority: .critical)
        let recipients = Array(sessions.keys)
        counters.noteDelivered(recipients.count, .critical)
        gateway.assumeIsolated { $0.broadcast(frame, to: recipients) }
        return recipients.count
    }
}
