import Shards

/// The Valkey keys of one conversation and the route of its batches. Every key of a
/// conversation carries the same hash tag (`{R}` or `{A:B}`), so one batch may touch them
/// all, in shard-map mode and in Valkey Cluster alike.
struct ValkeyChatKeys {
    /// The conversation.
    let chat: ChatKey

    init(_ chat: ChatKey) { self.chat = chat }

    /// Where its batches go.
    var route: ShardKey {
        switch chat {
        case .room(let room): return .room(room)
        case .dm(let a, let b): return .directMessages(a, b)
        }
    }

    /// `room:{R}:msgs` or `dm:{A:B}:msgs`: the history.
    var messages: [UInt8] {
        switch chat {
        case .room(let room): return Keyspace.roomMessages(room)
        case .dm(let a, let b): return Keyspace.directMessages(a, b)
        }
    }

    /// `room:{R}:epoch` or `dm:{A:B}:epoch`.
    var epoch: [UInt8] {
        switch chat {
        case .room(let room): return Keyspace.roomEpoch(room)
        case .dm(let a, let b): return Keyspace.directMessageEpoch(a, b)
        }
    }

    /// `room:{R}:reads` or `dm:{A:B}:reads`.
    var reads: [UInt8] {
        switch chat {
        case .room(let room): return Keyspace.roomReads(room)
        case .dm(let a, let b): return Keyspace.directMessageReads(a, b)
        }
    }

    /// `room:{R}:edits:<id>` or `dm:{A:B}:edits:<id>`.
    func edits(_ id: UInt64) -> [UInt8] {
        switch chat {
        case .room(let room): return Keyspace.roomEdits(room, message: id)
        case .dm(let a, let b): return Keyspace.directMessageEdits(a, b, message: id)
        }
    }
}
