/// The in-memory store: unit tests of room logic, and `--store memory` for a single node
/// without Valkey. Same contract as `ValkeyChatStore`; completions run before the call
/// returns. History expires `historyTTLSeconds` after the last message (checked on access,
/// with an injected clock), which starts a new epoch.
public final class MemoryChatStore: ChatStore {
    private struct History {
        var messages: [StoredMessage] = []
        var epoch: String
        var lastWriteMs: Int64
        var edits: [UInt64: [String]] = [:]
    }

    /// Settings.
    public let configuration: ChatStoreConfiguration
    private let now: () -> Int64
    private var histories: [ChatKey: History] = [:]
    private var members: [UInt32: Set<UInt32>] = [:]
    private var userRooms: [UInt32: Set<UInt32>] = [:]
    private var dmPeers: [UInt32: Set<UInt32>] = [:]
    private var reads: [ChatKey: [UInt32: UInt64]] = [:]
    private var epochCounter: UInt64 = 0

    /// A store; `now` gives milliseconds since the epoch (injected for tests).
    public init(configuration: ChatStoreConfiguration = .init(), now: @escaping () -> Int64) {
        self.configuration = configuration
        self.now = now
    }

    /// Forgets every history (as a Valkey restart without persistence would): the next
    /// access starts new epochs.
    public func wipeHistories() {
        histories.removeAll()
    }

    private func history(_ chat: ChatKey) -> History {
        let time = now()
        if let existing = histories[chat],
           time - existing.lastWriteMs < Int64(configuration.historyTTLSeconds) * 1000
        {
            return existing
        }
        epochCounter += 1
        let fresh = History(epoch: "m\(time)-\(epochCounter)", lastWriteMs: time)
        histories[chat] = fresh
        return fresh
    }

    public func append(_ message: StoredMessage, to chat: ChatKey, completion: @escaping Completion<Void>) {
        var state = history(chat)
        // Out of the dictionary while it changes, so that `state` holds the only reference to
        // its arrays and they grow in place: with the dictionary's copy alive, every append
        // copied the whole history (up to historyMax messages, a retain each).
        histories[chat] = nil
        if let last = state.messages.last, last.id >= message.id {
            // Older than the newest (rare: ids increase in send order): insert in place.
            if let index = state.messages.firstIndex(where: { $0.id >= message.id }), state.messages[index].id != message.id {
                state.messages.insert(message, at: index)
            }
        } else {
            state.messages.append(message)
        }
        // Trimmed in steps of a quarter of the history (readers see the newest historyMax
        // only): one shift of the array per historyMax/4 appends, not one per append.
        let excess = state.messages.count - configuration.historyMax
        if excess > max(0, configuration.historyMax / 4) {
            if !state.edits.isEmpty {
                for index in 0..<excess { state.edits[state.messages[index].id] = nil }
            }
            state.messages.removeFirst(excess)
        }
        state.lastWriteMs = now()
        histories[chat] = state
        completion(.success(()))
    }

    /// The messages kept: the newest `historyMax` (the array may hold a few more until its
    /// next trim).
    private func kept(_ chat: ChatKey) -> ArraySlice<StoredMessage> {
        history(chat).messages.suffix(max(0, configuration.historyMax))
    }

    public func page(_ chat: ChatKey, before: UInt64?, limit: Int, completion: @escaping Completion<[StoredMessage]>) {
        let messages = kept(chat)
        let older = before.map { bound in messages.filter { $0.id < bound } } ?? messages
        completion(.success(Array(older.suffix(max(0, limit)))))
    }

    public func since(_ chat: ChatKey, after: UInt64, completion: @escaping Completion<SinceResult>) {
        let messages = kept(chat)
        let newer = messages.filter { $0.id > after }
        let full = messages.count >= configuration.historyMax
        let gap = full && (messages.first.map { $0.id > after } ?? false)
        completion(.success(SinceResult(messages: newer, gap: gap)))
    }

    public func epoch(_ chat: ChatKey, completion: @escaping Completion<String>) {
        completion(.success(history(chat).epoch))
    }

    public func message(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<StoredMessage?>) {
        completion(.success(kept(chat).first { $0.id == id }))
    }

    public func edit(_ chat: ChatKey, id: UInt64, text: String, at editedAt: Int64,
                     completion: @escaping Completion<StoredMessage?>) {
        var state = history(chat)
        let firstKept = max(0, state.messages.count - configuration.historyMax)
        guard let index = state.messages[firstKept...].firstIndex(where: { $0.id == id }) else {
            return completion(.success(nil))
        }
        state.edits[id, default: []].insert(state.messages[index].text, at: 0)
        state.messages[index].text = text
        state.messages[index].edited = editedAt
        histories[chat] = state
        completion(.success(state.messages[index]))
    }

    public func editHistory(_ chat: ChatKey, id: UInt64, completion: @escaping Completion<[String]>) {
        completion(.success(history(chat).edits[id] ?? []))
    }

    public func join(room: UInt32, user: UInt32, completion: @escaping Completion<Int>) {
        members[room, default: []].insert(user)
        userRooms[user, default: []].insert(room)
        completion(.success(members[room]?.count ?? 0))
    }

    public func leave(room: UInt32, user: UInt32, completion: @escaping Completion<Int>) {
        members[room]?.remove(user)
        userRooms[user]?.remove(room)
        completion(.success(members[room]?.count ?? 0))
    }

    public func memberCount(room: UInt32, completion: @escaping Completion<Int>) {
        completion(.success(members[room]?.count ?? 0))
    }

    public func isMember(room: UInt32, user: UInt32, completion: @escaping Completion<Bool>) {
        completion(.success(members[room]?.contains(user) ?? false))
    }

    public func linkDM(_ a: UInt32, _ b: UInt32, completion: @escaping Completion<Void>) {
        dmPeers[a, default: []].insert(b)
        dmPeers[b, default: []].insert(a)
        completion(.success(()))
    }

    public func chats(of user: UInt32, completion: @escaping Completion<UserChats>) {
        completion(.success(UserChats(rooms: (userRooms[user] ?? []).sorted(), dmPeers: (dmPeers[user] ?? []).sorted())))
    }

    public func setRead(_ chat: ChatKey, user: UInt32, id: UInt64, completion: @escaping Completion<Void>) {
        let current = reads[chat]?[user] ?? 0
        if id > current { reads[chat, default: [:]][user] = id }
        completion(.success(()))
    }

    public func readPosition(_ chat: ChatKey, user: UInt32, completion: @escaping Completion<UInt64>) {
        completion(.success(reads[chat]?[user] ?? 0))
    }
}
