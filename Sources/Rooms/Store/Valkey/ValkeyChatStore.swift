import Actors
import Shards

/// The Valkey store: conversations in the keyspace of DESIGN.md, reached through a submit
/// function (`ValkeySubmitter` over the shard map or a Valkey Cluster client).
///
/// ```
/// room:{R}:msgs / dm:{A:B}:msgs    sorted set, every score 0, member = id8 + payload
///                                  (HistoryMember), trimmed to historyMax, TTL historyTTL
/// room:{R}:epoch / dm:{A:B}:epoch  string, SET NX with the history's TTL, renewed with it
/// room:{R}:edits:<id> / dm:...     list of previous texts (ZstdCodec), newest first
/// room:{R}:reads / dm:{A:B}:reads  hash user -> decimal id, raised only (EVAL script)
/// room:{R}:members                 set of user ids        (room's shard)
/// user:{U}:rooms, user:{U}:dms     sets of room / peer ids (user shard)
/// ```
///
/// Each call is one batch on one shard (all keys of a conversation share its hash tag), or
/// two batches on two shards for the calls that touch a room and a user, completed once
/// after both (first failure wins). Writes are idempotent where they can be (ZADD of the
/// same member, SADD, SET NX, the read-position script), as the shard outbox resends in
/// flight batches after a reconnect; an edit's LPUSH is the exception (a resend records
/// the previous text twice).
///
/// Loop-bound (not `Sendable`): created and called on the event loop thread of the submit
/// function; completions run there, exactly once, usually in a later loop round (before
/// the call returns when the outbox refuses the batch or nothing needs Valkey). Replies
/// of an unexpected type and error replies become `.corrupt` (or `.unavailable` when the
/// error is transient); a history member that does not decode is skipped and logged.
public final class ValkeyChatStore: ChatStore {
    /// Queues a batch of `count` encoded commands on the shard of `route`; the completion
    /// gets their replies in order on the loop, exactly once.
    public typealias Submit = (
        _ route: ShardKey, _ commands: [UInt8], _ count: Int,
        _ completion: @escaping (Result<[RESPValue], ShardLinkError>) -> Void
    ) -> Void

    /// Settings.
    public let configuration: ChatStoreConfiguration
    let submit: Submit
    let now: () -> Int64
    /// Payload codec of history members and edit texts (zstd over 512 bytes).
    let codec = ZstdCodec()
    private var epochCounter: UInt64 = 0
    /// When each conversation's TTLs and epoch were last renewed by an append.
    var renewals = Renewals()

    /// A store sending its commands through `submit`; `now` gives milliseconds since the
    /// epoch (it names new epochs).
    public init(configuration: ChatStoreConfiguration, submit: @escaping Submit, now: @escaping () -> Int64) {
        self.configuration = configuration
        self.submit = submit
        self.now = now
    }

    /// Seconds of `EXPIRE` (at least 1: `EXPIRE key 0` would delete the key).
    var ttlSeconds: Int { max(1, configuration.historyTTLSeconds) }

    /// A fresh epoch name: time, a counter and 32 random bits, so that two nodes creating
    /// one at the same millisecond (only one `SET NX` wins) or a history lost and created
    /// again never repeat a name.
    func newEpoch() -> String {
        epochCounter &+= 1
        return "v\(now())-\(epochCounter)-\(UInt32.random(in: 0...UInt32.max))"
    }

    // MARK: - Sending

    /// Sends the commands of `encoder` (`count` of them) to `route`; `decode` turns their
    /// replies (already checked: right count, no error reply) into the result.
    func send<Value>(
        _ route: ShardKey, _ encoder: RESPEncoder, count: Int,
        completion: @escaping Completion<Value>,
        decode: @escaping ([RESPValue]) throws(StoreError) -> Value
    ) {
        submit(route, encoder.buffer, count) { result in
            switch result {
            case .failure(let error):
                completion(.failure(StoreError(error)))
            case .success(let replies):
                guard replies.count == count else {
                    return completion(.failure(.corrupt("\(replies.count) replies to \(count) commands")))
                }
                if let message = replies.lazy.compactMap(\.errorMessage).first {
                    return completion(.failure(.reply(message)))
                }
                do throws(StoreError) {
                    completion(.success(try decode(replies)))
                } catch {
                    completion(.failure(error))
                }
            }
        }
    }

    /// Runs two calls (on two shards) and completes once after both: with the first
    /// call's value, or the first failure that arrived.
    func both<Value>(
        _ first: (@escaping Completion<Value>) -> Void,
        _ second: (@escaping Completion<Void>) -> Void,
        completion: @escaping Completion<Value>
    ) {
        let pair = PendingPair<Value>(completion)
        first { result in pair.arrive(result.map { Optional($0) }) }
        second { result in pair.arrive(result.map { _ -> Value? in nil }) }
    }

    /// Logs a record that could not be read (ids and the reason, never contents).
    func logCorrupt(_ chat: ChatKey, _ error: StoreError) {
        Log.warn("store.corrupt", ["chat": chat.description, "error": error.description])
    }
}

/// When each conversation's keys were last renewed: bounded by pruning what is older than
/// an interval whenever the table doubles. Loop-bound, like the store.
struct Renewals {
    private var lastMs: [ChatKey: Int64] = [:]
    private var pruneAt = 1024

    /// Whether `chat` is due for renewal at `nowMs` (then it counts as renewed now).
    mutating func isDue(_ chat: ChatKey, nowMs: Int64, intervalMs: Int64) -> Bool {
        if let last = lastMs[chat], nowMs - last < intervalMs, nowMs >= last { return false }
        lastMs[chat] = nowMs
        if lastMs.count >= pruneAt {
            lastMs = lastMs.filter { nowMs - $0.value < intervalMs }
            pruneAt = max(1024, 2 * lastMs.count)
        }
        return true
    }

    /// Makes `chat` due again (its renewal failed).
    mutating func forget(_ chat: ChatKey) { lastMs[chat] = nil }
}

/// Two results awaited together; the completion runs once both arrived.
private final class PendingPair<Value> {
    private var completion: ((Result<Value, StoreError>) -> Void)?
    private var value: Value?
    private var failure: StoreError?
    private var waiting = 2

    init(_ completion: @escaping (Result<Value, StoreError>) -> Void) { self.completion = completion }

    /// One result: the first call's value, or nil for the second call's success.
    func arrive(_ result: Result<Value?, StoreError>) {
        switch result {
        case .success(let value?): self.value = value
        case .success(nil): break
        case .failure(let error): if failure == nil { failure = error }
        }
        waiting -= 1
        guard waiting == 0, let completion else { return }
        self.completion = nil
        if let failure { return completion(.failure(failure)) }
        guard let value else { return completion(.failure(.corrupt("no result from the first batch"))) }
        completion(.success(value))
    }
}
