/// A batch on its way through a cluster: its commands, where it was sent, and the replies
/// gathered so far when some of its commands had to be sent again after a redirect.
///
/// ```
/// first send: the caller's bytes as they are (no copy, no split)
/// reply set with redirects: replies kept for the commands that ran; the others are split
/// out of the bytes (`RESPCommandRanges`) and sent again, with ASKING before each after -ASK
/// ```
///
/// Loop-bound, owned by its `ClusterClient`.
final class ClusterBatch {
    let id: UInt64
    let slot: Int
    let bytes: [UInt8]
    let commandCount: Int
    let completion: (Result<[RESPValue], ShardLinkError>) -> Void
    /// The node (index in the client's `nodes`) the batch is in flight to; nil while held
    /// or waiting to retry.
    var target: Int?
    /// Redirects followed so far.
    var redirects = 0
    /// Indices of the commands in the current send; nil when it is the whole batch.
    var sentIndices: [Int]?
    /// Whether each command of the current send is preceded by ASKING.
    var asking = false
    /// Replies by command index, once a redirect made the batch go out in parts.
    var replies: [RESPValue?] = []
    /// Byte ranges of each command in `bytes`, found on the first redirect.
    var ranges: [Range<Int>] = []

    init(id: UInt64, slot: Int, bytes: [UInt8], commandCount: Int,
         completion: @escaping (Result<[RESPValue], ShardLinkError>) -> Void) {
        self.id = id
        self.slot = slot
        self.bytes = bytes
        self.commandCount = commandCount
        self.completion = completion
    }

    /// The bytes and command count of a send of `indices` (ASKING before each when `asking`).
    func encode(_ indices: [Int], asking: Bool) -> (bytes: [UInt8], commands: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(indices.reduce(0) { $0 + ranges[$1].count } + (asking ? indices.count * Self.askingCommand.count : 0))
        for index in indices {
            if asking { out.append(contentsOf: Self.askingCommand) }
            out.append(contentsOf: bytes[ranges[index]])
        }
        return (out, asking ? indices.count * 2 : indices.count)
    }

    /// `ASKING` encoded once.
    static let askingCommand: [UInt8] = {
        var encoder = RESPEncoder(reservingCapacity: 20)
        encoder.command("ASKING")
        return encoder.buffer
    }()
}

/// The byte ranges of the commands in a buffer built by `RESPEncoder` (arrays of bulk
/// strings, back to back). Nil when the bytes are not exactly `count` such commands: a
/// caller's mistake, reported as an error, never trapped on.
enum RESPCommandRanges {
    static func split(_ bytes: [UInt8], count: Int) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        var position = 0
        while position < bytes.count {
            let start = position
            guard let elements = header(bytes, &position, marker: UInt8(ascii: "*")) else { return nil }
            for _ in 0..<elements {
                guard let length = header(bytes, &position, marker: UInt8(ascii: "$")),
                      length <= bytes.count - position, bytes.count - position - length >= 2,
                      bytes[position + length] == 13, bytes[position + length + 1] == 10
                else { return nil }
                position += length + 2
            }
            ranges.append(start..<position)
            guard ranges.count <= count else { return nil }
        }
        return ranges.count == count ? ranges : nil
    }

    /// Reads `<marker><decimal>\r\n` at `position`; nil when malformed.
    private static func header(_ bytes: [UInt8], _ position: inout Int, marker: UInt8) -> Int? {
        guard position < bytes.count, bytes[position] == marker else { return nil }
        var index = position + 1
        var value = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            guard digits < 10 else { return nil }
            value = value * 10 + Int(bytes[index] - 48)
            digits += 1
            index += 1
        }
        guard digits > 0, bytes.count - index >= 2, bytes[index] == 13, bytes[index + 1] == 10 else { return nil }
        position = index + 2
        return value
    }
}

/// The batches of one slot whose order needs watching: some are held, waiting out a
/// TRYAGAIN, or in flight to more than one node. (A slot whose batches all went to one
/// node needs only a count: `ClusterClient.plainCount`.)
///
/// A new batch goes out at once only when nothing of its slot is held or waiting and every
/// batch in flight is on the node it would go to; otherwise it is held until they complete
/// (pipelining on one link keeps order; two links would not).
struct SlotFlight {
    /// Batches in flight, by node index.
    var sent: [Int: Int] = [:]
    /// Batches between two sends (waiting out a TRYAGAIN).
    var waiting = 0
    /// Batches not yet sent, oldest first.
    var held: [UInt64] = []

    /// Nothing in flight, waiting or held.
    var isIdle: Bool { sent.isEmpty && waiting == 0 && held.isEmpty }

    /// Whether a batch may go to node `target` now without overtaking anything of its slot
    /// (the held ones themselves excepted: `release` sends them oldest first).
    func mayOvertakeNothing(to target: Int) -> Bool {
        waiting == 0 && (sent.isEmpty || (sent.count == 1 && sent[target] != nil))
    }

    mutating func add(_ target: Int) { sent[target, default: 0] += 1 }

    mutating func remove(_ target: Int) {
        guard let count = sent[target] else { return }
        sent[target] = count > 1 ? count - 1 : nil
    }
}
