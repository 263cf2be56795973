/// Called on the loop thread with each message delivered on a subscribed channel: the
/// channel's name and the payload, as bytes (payloads are binary).
public typealias ValkeyMessageHandler = (_ channel: [UInt8], _ payload: [UInt8]) -> Void

/// Which of Valkey's two pub/sub flavours a link speaks.
///
/// ```
/// plain    SUBSCRIBE / UNSUBSCRIBE / PUBLISH      -> ["message", channel, payload]
///          (shard map: a channel lives on the shard of its room or user)
/// sharded  SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH   -> ["smessage", channel, payload]
///          (Valkey Cluster: a channel lives in the slot of its name, on that slot's master;
///           one SSUBSCRIBE names channels of one slot only, else -CROSSSLOT)
/// ```
///
/// Plain PUBLISH in a cluster is broadcast over the cluster bus to every node; sharded
/// pub/sub keeps a room's traffic on the one master that holds its slot, which is what lets
/// a cluster grow (Valkey docs, "Sharded Pub/Sub").
public enum PubSubMode: Sendable, Hashable {
    /// `SUBSCRIBE`/`PUBLISH`.
    case plain
    /// `SSUBSCRIBE`/`SPUBLISH`.
    case sharded

    /// The command that publishes a message: `PUBLISH` or `SPUBLISH`.
    public var publishCommand: String { self == .plain ? "PUBLISH" : "SPUBLISH" }

    /// The command that subscribes: `SUBSCRIBE` or `SSUBSCRIBE`.
    public var subscribeCommand: String { self == .plain ? "SUBSCRIBE" : "SSUBSCRIBE" }

    /// The command that unsubscribes: `UNSUBSCRIBE` or `SUNSUBSCRIBE`.
    public var unsubscribeCommand: String { self == .plain ? "UNSUBSCRIBE" : "SUNSUBSCRIBE" }
}

/// What a reply on a subscriber connection is, from its first element.
enum PubSubReplyKind {
    case message, subscribed, unsubscribed, pong

    /// Classifies `message`/`smessage`, `subscribe`/`ssubscribe`, `unsubscribe`/`sunsubscribe`
    /// and `pong`; nil for anything else (never a trap).
    init?(_ kind: [UInt8]) {
        switch kind.count {
        case 4 where kind == Names.pong: self = .pong
        case 7 where kind == Names.message: self = .message
        case 8 where kind == Names.smessage: self = .message
        case 9 where kind == Names.subscribe: self = .subscribed
        case 10 where kind == Names.ssubscribe: self = .subscribed
        case 11 where kind == Names.unsubscribe: self = .unsubscribed
        case 12 where kind == Names.sunsubscribe: self = .unsubscribed
        default: return nil
        }
    }

    /// The reply names, as bytes.
    private enum Names {
        static let pong = Array("pong".utf8)
        static let message = Array("message".utf8)
        static let smessage = Array("smessage".utf8)
        static let subscribe = Array("subscribe".utf8)
        static let ssubscribe = Array("ssubscribe".utf8)
        static let unsubscribe = Array("unsubscribe".utf8)
        static let sunsubscribe = Array("sunsubscribe".utf8)
    }
}
