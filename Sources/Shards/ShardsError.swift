/// The closed set of failures of the Valkey layer's pure parts.
///
/// Every case comes from input the node does not control (bytes from Valkey, stored
/// payloads, configuration) and is thrown, never trapped on: see DESIGN.md, "no input may
/// trap". Programmer mistakes use `precondition` instead.
///
/// Link-level failures (connect, write, timeout) are the link's business; it maps these
/// cases and its own to the protocol's `unavailable` error code in one place.
public enum ShardsError: Error, Sendable, Hashable {
    /// The RESP stream from Valkey is malformed (hiredis reader error, e.g. a bad type byte
    /// or an out-of-range length). The reader that threw stays failed: the connection must
    /// be closed and opened again, as the stream cannot be resynchronised.
    case protocolViolation(String)
    /// hiredis could not allocate memory for the reader, its buffer or a reply.
    case outOfMemory
    /// A stored payload is malformed: empty, a bad zstd frame, or a size that does not match.
    case corruptPayload(String)
    /// A stored payload starts with a flag byte this version does not know.
    case unknownPayloadFlag(UInt8)
    /// A payload is (or claims to be, once decompressed) larger than the allowed maximum.
    case payloadTooLarge(size: UInt64, limit: Int)
    /// zstd failed to compress (it names the reason).
    case compressionFailed(String)
    /// A shard map was asked for with an unusable shard count (below 1 or above `ShardRouter.maximumShardCount`).
    case invalidShardCount(Int)
    /// A Valkey Cluster reply that does not describe a topology (`CLUSTER SLOTS`).
    case malformedClusterReply(String)
}

// MARK: - CustomStringConvertible

extension ShardsError: CustomStringConvertible {
    /// A short English description for logs (never contains payload bytes).
    public var description: String {
        switch self {
        case .protocolViolation(let reason): return "RESP protocol violation: \(reason)"
        case .outOfMemory: return "out of memory in the RESP reader"
        case .corruptPayload(let reason): return "corrupt stored payload: \(reason)"
        case .unknownPayloadFlag(let flag): return "unknown stored payload flag \(flag)"
        case .payloadTooLarge(let size, let limit): return "payload of \(size) bytes over the limit of \(limit)"
        case .compressionFailed(let reason): return "zstd compression failed: \(reason)"
        case .invalidShardCount(let count): return "invalid shard count \(count)"
        case .malformedClusterReply(let reason): return "malformed cluster reply: \(reason)"
        }
    }
}
