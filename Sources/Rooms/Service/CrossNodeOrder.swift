import Gateway

/// Puts one room's messages in id order at one node when they come from more than one
/// node: a hold-back window, applied only while the room has recent traffic from two or
/// more sources (this node and another, or two others). Pure: time comes in as `nowMs`.
///
/// ```
///  single source          message ──────────────────────────────▶ delivered at once
///  several sources        message ──▶ [held, sorted by id] ──▶ released in id order once
///  (within sourceMemoryMs)             now ≥ time(id) + windowMs
/// ```
///
/// `time(id)` is the millisecond in the id (``MessageID``), so a message is held until
/// `windowMs` after it was made, by this node's clock. The guarantee: every message that
/// reaches this node within `windowMs` of its id's time is delivered after every smaller
/// id and before every larger id that also did. A message later than that (a slow
/// network, clocks further apart than the window) is delivered at once, out of order,
/// and counted as late.
struct CrossNodeOrder {
    /// A message waiting for its turn, with the connection that must not get it (its
    /// sender's) and the priority of its frames.
    struct Held {
        let message: ChatMessage
        let except: ConnectionID?
    }

    /// How long a source counts as active after its last message.
    static let sourceMemoryMs: Int64 = 30_000

    private(set) var held: [Held] = []
    private(set) var lastReleasedID: UInt64 = 0
    private var sources: [UInt64: Int64] = [:]
    /// Whether other nodes are known to have subscribers of the room (their interest
    /// announcement, or more than one subscriber reached by this node's last publish):
    /// the window is then on before any of their messages arrives.
    var peersSubscribed = false
    /// Messages delivered with an id below one already delivered.
    private(set) var late = 0
    /// The deadline a release timer is set for, if any (kept by the caller).
    var timerDeadline: Int64?
    /// Connections that finished a join while messages were held: the newest id their
    /// `joined` history carried, and when (a held message they already got is not sent
    /// to them again).
    private(set) var joinedWith: [ConnectionID: (ids: Set<UInt64>, atMs: Int64)] = [:]

    /// Notes that `connection` got the room's history with the ids `history` at `nowMs`.
    mutating func noteJoined(_ connection: ConnectionID, history: Set<UInt64>, nowMs: Int64, windowMs: Int64) {
        joinedWith = joinedWith.filter { nowMs - $0.value.atMs <= 2 * windowMs + 1000 }
        if !held.isEmpty { joinedWith[connection] = (history, nowMs) }
    }

    /// The connections that must not get `id` (their history already had it).
    func alreadyHave(_ id: UInt64) -> [ConnectionID] {
        joinedWith.isEmpty ? [] : joinedWith.filter { $0.value.ids.contains(id) }.map(\.key)
    }

    /// Whether other nodes subscribe to the room, or two or more sources sent within
    /// `sourceMemoryMs` of `nowMs`.
    func isMultiSource(nowMs: Int64) -> Bool {
        if peersSubscribed { return true }
        var count = 0
        for (_, lastMs) in sources where nowMs - lastMs < Self.sourceMemoryMs {
            count += 1
            if count >= 2 { return true }
        }
        return false
    }

    /// Takes a message from `source`; returns what to deliver now, in order.
    mutating func accept(_ message: ChatMessage, except: ConnectionID?, source: UInt64, nowMs: Int64,
                         windowMs: Int64) -> [Held] {
        sources[source] = nowMs
        if sources.count > 16 { sources = sources.filter { nowMs - $0.value < Self.sourceMemoryMs } }
        let entry = Held(message: message, except: except)
        if message.id <= lastReleasedID {
            late += 1
            return [entry]
        }
        guard isMultiSource(nowMs: nowMs) || !held.isEmpty else {
            lastReleasedID = message.id
            return [entry]
        }
        let index = held.firstIndex { $0.message.id > message.id } ?? held.endIndex
        held.insert(entry, at: index)
        return release(nowMs: nowMs, windowMs: windowMs)
    }

    /// Whether message `id` is held.
    func isHolding(_ id: UInt64) -> Bool {
        held.contains { $0.message.id == id }
    }

    /// Releases, in id order, the held messages whose time has come.
    mutating func release(nowMs: Int64, windowMs: Int64) -> [Held] {
        var count = 0
        while count < held.count, Self.dueMs(held[count].message.id, windowMs: windowMs) <= nowMs { count += 1 }
        guard count > 0 else { return [] }
        let due = Array(held[0..<count])
        held.removeFirst(count)
        if let last = due.last { lastReleasedID = max(lastReleasedID, last.message.id) }
        return due
    }

    /// Everything held, in order (the room is going away).
    mutating func releaseAll() -> [Held] {
        defer { held.removeAll() }
        if let last = held.last { lastReleasedID = max(lastReleasedID, last.message.id) }
        return held
    }

    /// When the first held message is due, if any.
    func nextDueMs(windowMs: Int64) -> Int64? {
        held.first.map { Self.dueMs($0.message.id, windowMs: windowMs) }
    }

    /// The time `id` was made plus the window.
    static func dueMs(_ id: UInt64, windowMs: Int64) -> Int64 {
        MessageID.timestampMs(of: id).addingSaturated(windowMs)
    }

    /// Whether nothing is held and no source is remembered at `nowMs` (the state can go).
    func isIdle(nowMs: Int64) -> Bool {
        held.isEmpty && !peersSubscribed && !sources.values.contains { nowMs - $0 < Self.sourceMemoryMs }
    }
}
