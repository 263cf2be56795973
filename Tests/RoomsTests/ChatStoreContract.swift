import Rooms
import Synchronization
import Testing

/// Runs store calls where the store lives (the memory store anywhere, the Valkey store on
/// its event loop) and turns completions into async results.
struct StoreHarness: @unchecked Sendable {
    /// The store under test.
    let store: ChatStore
    /// Runs a closure where the store may be called.
    let run: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Loses every history, as a Valkey restart without persistence would.
    let wipe: @Sendable () async throws -> Void

    /// Calls the store and waits for its completion.
    func call<T: Sendable>(_ body: @escaping @Sendable (ChatStore, @escaping (Result<T, StoreError>) -> Void) -> Void) async throws -> T {
        let store = UncheckedStore(store: store)
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            run {
                let once = Mutex(false)
                body(store.store) { result in
                    let first = once.withLock { fired in
                        defer { fired = true }
                        return !fired
                    }
                    precondition(first, "completion called twice")
                    continuation.resume(returning: result)
                }
            }
        }
        return try result.get()
    }

    func append(_ id: UInt64, from: UInt32 = 1, text: String? = nil, to chat: ChatKey) async throws {
        let message = StoredMessage(id: id, from: from, ts: Int64(truncatingIfNeeded: id), text: text ?? "m\(id)")
        try await call { (store, done: @escaping (Result<Void, StoreError>) -> Void) in store.append(message, to: chat, completion: done) }
    }

    func page(_ chat: ChatKey, before: UInt64? = nil, limit: Int) async throws -> [StoredMessage] {
        try await call { store, done in store.page(chat, before: before, limit: limit, completion: done) }
    }

    func since(_ chat: ChatKey, after: UInt64) async throws -> SinceResult {
        try await call { store, done in store.since(chat, after: after, completion: done) }
    }

    func epoch(_ chat: ChatKey) async throws -> String {
        try await call { store, done in store.epoch(chat, completion: done) }
    }
}

struct UncheckedStore: @unchecked Sendable {
    let store: ChatStore
}

/// The behaviour every `ChatStore` must have. Each check uses its own conversation ids,
/// so one store can run them all. `historyMax` of the store under test must be 5.
enum ChatStoreContract {
    static let historyMax = 5

    static func run(_ harness: StoreHarness) async throws {
        try await historyIsOrderedAndPaged(harness)
        try await appendIsIdempotentAndTrims(harness)
        try await sinceReportsGaps(harness)
        try await epochIsStableUntilHistoryIsLost(harness)
        try await editsKeepPreviousTexts(harness)
        try await membersAndChats(harness)
        try await readPositionsOnlyMoveForward(harness)
        try await textsSurviveExactly(harness)
        try await extremeIdsAreBoundsToo(harness)
        try await appendAgainAfterAnEditKeepsTheEdit(harness)
    }

    static func historyIsOrderedAndPaged(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(101)
        for id in [10, 30, 20, 40] as [UInt64] { try await h.append(id, to: chat) }
        #expect(try await h.page(chat, limit: 50).map(\.id) == [10, 20, 30, 40])
        #expect(try await h.page(chat, limit: 2).map(\.id) == [30, 40])
        #expect(try await h.page(chat, before: 30, limit: 50).map(\.id) == [10, 20])
        #expect(try await h.page(chat, before: 10, limit: 50).isEmpty)
        #expect(try await h.page(.room(102), limit: 50).isEmpty)
    }

    static func appendIsIdempotentAndTrims(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(201)
        try await h.append(1, to: chat)
        try await h.append(1, to: chat)
        #expect(try await h.page(chat, limit: 50).map(\.id) == [1])
        for id in 2...8 as ClosedRange<UInt64> { try await h.append(id, to: chat) }
        #expect(try await h.page(chat, limit: 50).map(\.id) == [4, 5, 6, 7, 8])
    }

    static func sinceReportsGaps(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(301)
        for id in 1...3 as ClosedRange<UInt64> { try await h.append(id, to: chat) }
        let some = try await h.since(chat, after: 1)
        #expect(some.messages.map(\.id) == [2, 3])
        #expect(!some.gap)
        #expect(try await h.since(chat, after: 3).messages.isEmpty)
        for id in 4...9 as ClosedRange<UInt64> { try await h.append(id, to: chat) }
        let trimmed = try await h.since(chat, after: 2)
        #expect(trimmed.messages.map(\.id) == [5, 6, 7, 8, 9])
        #expect(trimmed.gap, "messages 3 and 4 were trimmed")
        #expect(try await !h.since(chat, after: 5).gap)
    }

    static func epochIsStableUntilHistoryIsLost(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(401)
        let first = try await h.epoch(chat)
        try await h.append(1, to: chat)
        #expect(try await h.epoch(chat) == first)
        #expect(!first.isEmpty)
        try await h.wipe()
        #expect(try await h.epoch(chat) != first)
        #expect(try await h.page(chat, limit: 50).isEmpty)
    }

    static func editsKeepPreviousTexts(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(501)
        try await h.append(7, from: 3, text: "first", to: chat)
        let edited: StoredMessage? = try await h.call { store, done in store.edit(chat, id: 7, text: "second", at: 99, completion: done) }
        #expect(edited?.text == "second")
        #expect(edited?.edited == 99)
        #expect(edited?.from == 3)
        let _: StoredMessage? = try await h.call { store, done in store.edit(chat, id: 7, text: "third", at: 100, completion: done) }
        let history: [String] = try await h.call { store, done in store.editHistory(chat, id: 7, completion: done) }
        #expect(history == ["second", "first"])
        let stored: StoredMessage? = try await h.call { store, done in store.message(chat, id: 7, completion: done) }
        #expect(stored?.text == "third")
        #expect(try await h.page(chat, limit: 50).map(\.text) == ["third"])
        let missing: StoredMessage? = try await h.call { store, done in store.edit(chat, id: 8, text: "x", at: 1, completion: done) }
        #expect(missing == nil)
    }

    static func membersAndChats(_ h: StoreHarness) async throws {
        let one: Int = try await h.call { store, done in store.join(room: 601, user: 1, completion: done) }
        let two: Int = try await h.call { store, done in store.join(room: 601, user: 2, completion: done) }
        let again: Int = try await h.call { store, done in store.join(room: 601, user: 2, completion: done) }
        #expect([one, two, again] == [1, 2, 2])
        let _: Int = try await h.call { store, done in store.join(room: 602, user: 1, completion: done) }
        let isMember: Bool = try await h.call { store, done in store.isMember(room: 601, user: 2, completion: done) }
        #expect(isMember)
        let left: Int = try await h.call { store, done in store.leave(room: 601, user: 2, completion: done) }
        #expect(left == 1)
        let notMember: Bool = try await h.call { store, done in store.isMember(room: 601, user: 2, completion: done) }
        #expect(!notMember)
        let _: Void = try await h.call { store, done in store.linkDM(1, 9, completion: done) }
        let chats: UserChats = try await h.call { store, done in store.chats(of: 1, completion: done) }
        #expect(chats.rooms == [601, 602])
        #expect(chats.dmPeers == [9])
        let peer: UserChats = try await h.call { store, done in store.chats(of: 9, completion: done) }
        #expect(peer.dmPeers == [1])
        let count: Int = try await h.call { store, done in store.memberCount(room: 603, completion: done) }
        #expect(count == 0)
    }

    static func readPositionsOnlyMoveForward(_ h: StoreHarness) async throws {
        let chat = ChatKey.dm(between: 4, and: 2)
        let initial: UInt64 = try await h.call { store, done in store.readPosition(chat, user: 2, completion: done) }
        #expect(initial == 0)
        let _: Void = try await h.call { store, done in store.setRead(chat, user: 2, id: 50, completion: done) }
        let _: Void = try await h.call { store, done in store.setRead(chat, user: 2, id: 40, completion: done) }
        let position: UInt64 = try await h.call { store, done in store.readPosition(chat, user: 2, completion: done) }
        #expect(position == 50)
    }

    static func textsSurviveExactly(_ h: StoreHarness) async throws {
        let chat = ChatKey.dm(between: 7, and: 8)
        let texts = ["héllo 🚀 \"quoted\" \\ <script>", String(repeating: "long text ", count: 300), "\u{0}\u{1}nul"]
        for (index, text) in texts.enumerated() { try await h.append(UInt64(index + 1) << 30, from: 7, text: text, to: chat) }
        #expect(try await h.page(chat, limit: 50).map(\.text) == texts)
        // Ids above 2^53 stay exact.
        let big: UInt64 = (1 << 62) + 12345
        try await h.append(big, to: chat)
        #expect(try await h.page(chat, limit: 1).first?.id == big)
    }

    /// Ids 0 and UInt64.max, where a store computing "id + 1" or "id - 1" for its range
    /// bounds would overflow or miss one.
    static func extremeIdsAreBoundsToo(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(901)
        for id in [UInt64.max, 0, 1] { try await h.append(id, to: chat) }
        #expect(try await h.page(chat, limit: 50).map(\.id) == [0, 1, .max])
        #expect(try await h.page(chat, before: .max, limit: 50).map(\.id) == [0, 1])
        #expect(try await h.page(chat, before: 0, limit: 50).isEmpty)
        #expect(try await h.page(chat, limit: 0).isEmpty)
        #expect(try await h.since(chat, after: 0).messages.map(\.id) == [1, .max])
        let none = try await h.since(chat, after: .max)
        #expect(none.messages.isEmpty && !none.gap)
        for id in [UInt64.max, 0] {
            let found: StoredMessage? = try await h.call { store, done in store.message(chat, id: id, completion: done) }
            #expect(found?.id == id)
        }
        let absent: StoredMessage? = try await h.call { store, done in store.message(chat, id: 2, completion: done) }
        #expect(absent == nil)
        let edited: StoredMessage? = try await h.call { store, done in store.edit(chat, id: .max, text: "last", at: 5, completion: done) }
        #expect(edited?.text == "last")
        #expect(try await h.page(chat, limit: 50).map(\.text) == ["m0", "m1", "last"])
    }

    /// An append sent again after the message was edited (a Valkey outbox resends in-flight
    /// batches after a reconnect) neither duplicates the message nor undoes the edit.
    static func appendAgainAfterAnEditKeepsTheEdit(_ h: StoreHarness) async throws {
        let chat = ChatKey.room(902)
        try await h.append(3, text: "original", to: chat)
        let _: StoredMessage? = try await h.call { store, done in store.edit(chat, id: 3, text: "edited", at: 10, completion: done) }
        try await h.append(3, text: "original", to: chat)
        #expect(try await h.page(chat, limit: 50).map(\.text) == ["edited"])
        #expect(try await h.since(chat, after: 0).messages.map(\.text) == ["edited"])
        let stored: StoredMessage? = try await h.call { store, done in store.message(chat, id: 3, completion: done) }
        #expect(stored?.edited == 10)
    }
}

@Suite struct MemoryChatStoreTests {
    @Test func passesTheStoreContract() async throws {
        let clock = Mutex<Int64>(1_000_000)
        let store = MemoryChatStore(configuration: .init(historyMax: ChatStoreContract.historyMax), now: { clock.withLock { $0 } })
        let boxed = UncheckedBox(store)
        let harness = StoreHarness(store: store, run: { $0() }, wipe: { boxed.value.wipeHistories() })
        try await ChatStoreContract.run(harness)
    }

    @Test func historyExpiresAfterItsTTLWithANewEpoch() async throws {
        let clock = ClockBox()
        let store = MemoryChatStore(configuration: .init(historyMax: 10, historyTTLSeconds: 60), now: { clock.now })
        let harness = StoreHarness(store: store, run: { $0() }, wipe: {})
        let chat = ChatKey.room(1)
        try await harness.append(1, to: chat)
        let epoch = try await harness.epoch(chat)
        clock.now += 59_000
        #expect(try await harness.epoch(chat) == epoch)
        clock.now += 2_000
        #expect(try await harness.epoch(chat) != epoch)
        #expect(try await harness.page(chat, limit: 10).isEmpty)
    }
}

struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

final class ClockBox: @unchecked Sendable {
    var now: Int64 = 1_000_000
}
