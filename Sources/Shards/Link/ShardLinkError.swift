/// Failures of a link to a Valkey server, as its callers see them. Every case maps to the
/// protocol's `unavailable` error for a client (storage not reachable: retry with the same
/// `cid`), except `replyError`, which is Valkey refusing one command.
public enum ShardLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made.
    case connectFailed(String)
    /// The connection broke (reset, closed by the server, write error).
    case connectionLost(String)
    /// The server sent bytes that are not RESP.
    case protocolError(String)
    /// The outbox is full (the shard has been away too long): nothing was queued.
    case outboxFull
    /// The link is stopping; the command was not sent.
    case stopped
    /// Valkey answered the command with an error reply.
    case replyError(String)
    /// A reply of a type the caller did not expect.
    case unexpectedReply(String)
    /// Valkey Cluster kept redirecting the batch (MOVED/ASK/TRYAGAIN) past the bound.
    case tooManyRedirects(String)
    /// No cluster node is known to serve the key's slot.
    case noRoute(slot: Int)

    public var description: String {
        switch self {
        case .connectFailed(let why): return "connect failed: \(why)"
        case .connectionLost(let why): return "connection lost: \(why)"
        case .protocolError(let why): return "protocol error: \(why)"
        case .outboxFull: return "outbox full"
        case .stopped: return "link stopped"
        case .replyError(let message): return "Valkey error: \(message)"
        case .unexpectedReply(let what): return "unexpected reply: \(what)"
        case .tooManyRedirects(let last): return "too many cluster redirects, last: \(last)"
        case .noRoute(let slot): return "no cluster node serves slot \(slot)"
        }
    }
}
