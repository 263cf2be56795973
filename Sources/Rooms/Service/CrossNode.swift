import Gateway
import Shards

/// How the chat service reaches other nodes through Valkey: publish on a channel (a room's
/// `room.{R}` or a user's `user.{U}`), subscribe to the channels it needs, and send small
/// batches of commands (session records, heartbeat reads). Set by the node when Valkey is
/// used (`ChatService.attachCrossNode`); every closure is called on the loop thread, and
/// every completion runs there too.
public struct CrossNodeLink: Sendable {
    /// Replies of a batch, on the loop, exactly once.
    public typealias Completion = (Result<[RESPValue], ShardLinkError>) -> Void

    /// Publishes `payload` on `channel` (PUBLISH, or SPUBLISH in a cluster); the completion
    /// gets the reply (the number of subscribers reached on that server).
    public var publish: @Sendable (_ channel: [UInt8], _ payload: [UInt8], _ completion: Completion?) -> Void
    /// Starts receiving `channel` (idempotent).
    public var subscribe: @Sendable (_ channel: [UInt8]) -> Void
    /// Stops receiving `channel` (idempotent).
    public var unsubscribe: @Sendable (_ channel: [UInt8]) -> Void
    /// Queues a batch of `count` encoded commands routed by `key` (the shard or slot of
    /// that key, which every key of the batch shares).
    public var submit: @Sendable (_ batch: [UInt8], _ count: Int, _ key: [UInt8], _ completion: @escaping Completion) -> Void
    /// The publish command of the deployment (`PUBLISH` or `SPUBLISH`), for batches that
    /// record and publish together.
    public var publishCommand: String

    /// A link from its operations.
    public init(publish: @escaping @Sendable ([UInt8], [UInt8], Completion?) -> Void,
                subscribe: @escaping @Sendable ([UInt8]) -> Void,
                unsubscribe: @escaping @Sendable ([UInt8]) -> Void,
                submit: @escaping @Sendable ([UInt8], Int, [UInt8], @escaping Completion) -> Void,
                publishCommand: String = "PUBLISH") {
        self.publish = publish
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
        self.submit = submit
        self.publishCommand = publishCommand
    }
}
