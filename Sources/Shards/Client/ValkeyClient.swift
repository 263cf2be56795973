import Gateway

/// The node's door to Valkey, the same calls whatever the deployment: the shard map of
/// `VALKEY_MODE=shards` (`ShardMapClient`) or a Valkey Cluster (`ClusterClient`).
///
/// ```
///             submit(batch, key:)          subscribe(channel)      publish(channel, payload)
///                    │                            │                         │
/// shards:   ShardRouter → shard-N link     shard-N subscriber        PUBLISH on shard-N
/// cluster:  slot(key) → master's link      master's subscriber       SPUBLISH on the master
///           (+ MOVED / ASK followed)       (SSUBSCRIBE per slot)
/// ```
///
/// A batch is the commands of one unit of work (ZADD + EXPIRE + PUBLISH of one message),
/// all on keys of one room or user: the keyspace puts that id in a hash tag, so they share
/// a shard and a cluster slot, and `key` (any one of them) routes the whole batch.
///
/// Clients are actors on the event loop's executor, like their links: code on the same loop
/// (rooms) calls `submit` synchronously through `assumeIsolated`, and the completion runs
/// on the loop; code elsewhere awaits `execute`.
public protocol ValkeyClient: Actor {
    /// The loop whose executor this client and its links share.
    nonisolated var loop: EventLoop { get }
    /// Plain or sharded pub/sub: which command a batch uses to publish.
    nonisolated var pubSubMode: PubSubMode { get }

    /// Queues a batch of `commands` encoded commands whose keys share `key`'s shard and
    /// slot; `completion` runs on the loop with their replies in order (error replies
    /// included, one per command). False (and no completion) when refused at once because
    /// an outbox is full; a refusal later (a cluster redirect to a full link) completes
    /// with `.outboxFull`.
    func submit(_ batch: [UInt8], commands: Int, key: [UInt8],
                completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool

    /// Wants the messages of `channel` (idempotent; sent at the end of the loop round).
    func subscribe(_ channel: [UInt8])

    /// No longer wants the messages of `channel` (idempotent).
    func unsubscribe(_ channel: [UInt8])

    /// Sets the handler of every subscribed channel's messages (on the loop thread).
    func setMessageHandler(_ handler: @escaping ValkeyMessageHandler)
}

// MARK: - Conveniences

extension ValkeyClient {
    /// Sends a batch and waits for its replies.
    public func execute(_ batch: [UInt8], commands: Int, key: [UInt8]) async throws(ShardLinkError) -> [RESPValue] {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[RESPValue], ShardLinkError>, Never>) in
            let queued = submit(batch, commands: commands, key: key) { continuation.resume(returning: $0) }
            if !queued { continuation.resume(returning: .failure(.outboxFull)) }
        }
        return try result.get()
    }

    /// Sends one command given as strings, routed by its first argument after the name
    /// (`["INCR", "room:{7}:n"]`), and waits for its reply; an error reply throws.
    public func command(_ arguments: [String]) async throws(ShardLinkError) -> RESPValue {
        var encoder = RESPEncoder(reservingCapacity: 64)
        encoder.command(arguments: arguments)
        let key = arguments.count > 1 ? Array(arguments[1].utf8) : []
        let replies = try await execute(encoder.take(), commands: 1, key: key)
        guard let reply = replies.first else { throw .unexpectedReply("no reply") }
        if let message = reply.errorMessage { throw .replyError(message) }
        return reply
    }

    /// Publishes `payload` on `channel` (PUBLISH or SPUBLISH) and returns how many
    /// subscribers of that server received it.
    public func publish(_ channel: [UInt8], _ payload: [UInt8]) async throws(ShardLinkError) -> Int64 {
        var encoder = RESPEncoder(reservingCapacity: channel.count + payload.count + 32)
        appendPublish(channel, payload, to: &encoder)
        let replies = try await execute(encoder.take(), commands: 1, key: channel)
        guard let reply = replies.first else { throw .unexpectedReply("no reply") }
        if let message = reply.errorMessage { throw .replyError(message) }
        guard let receivers = reply.integer else { throw .unexpectedReply(reply.description) }
        return receivers
    }

    /// Appends the publish command of this client's mode to a batch being built (a room's
    /// ZADD + EXPIRE + PUBLISH go out as one batch).
    public nonisolated func appendPublish(_ channel: [UInt8], _ payload: [UInt8], to encoder: inout RESPEncoder) {
        encoder.command(pubSubMode.publishCommand, channel, payload)
    }
}
