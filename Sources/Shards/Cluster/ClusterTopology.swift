/// Which master serves each of the 16384 slots of a Valkey Cluster, built from
/// `CLUSTER SLOTS`; pure, so a malformed reply is a thrown error, never a trap.
///
/// ```
/// CLUSTER SLOTS ->
/// 1) 1) (integer) 0              start slot
///    2) (integer) 5460           end slot (inclusive)
///    3) 1) "127.0.0.1"           master: host ("" = the node asked, "?" = unknown)
///       2) (integer) 7001                port
///       3) "14e9..."                     node id (and more fields, ignored)
///    4) ...                      replicas (ignored: every command goes to the master)
/// ```
///
/// The table is one `UInt16` per slot (32 KiB): an index into `masters`, or `unassigned`.
/// A `-MOVED` updates one slot at once (`assign`) while a full refresh is on its way.
public struct ClusterTopology: Sendable, Equatable {
    /// The masters that own at least one slot, in order of first appearance.
    public private(set) var masters: [ValkeyAddress] = []
    private var owners: [UInt16]
    private static let unassigned = UInt16.max

    /// A topology with no slot assigned.
    public init() {
        owners = Array(repeating: Self.unassigned, count: HashSlot.count)
    }

    /// Parses a `CLUSTER SLOTS` reply from the node at `askedHost`. Ranges whose master's
    /// endpoint is unknown (`?`) are left unassigned; anything malformed throws.
    public init(slotsReply reply: RESPValue, askedHost: String) throws(ShardsError) {
        self.init()
        guard let ranges = reply.array else { throw .malformedClusterReply("CLUSTER SLOTS: \(reply.description)") }
        var index: [ValkeyAddress: UInt16] = [:]
        for range in ranges {
            guard let fields = range.array, fields.count >= 3,
                  let start = fields[0].integer, let end = fields[1].integer,
                  start >= 0, start <= end, end < Int64(HashSlot.count),
                  let node = fields[2].array, node.count >= 2,
                  let host = node[0].string, let port = node[1].integer, (1...65535).contains(port)
            else { throw .malformedClusterReply("CLUSTER SLOTS range: \(range.description)") }
            if host == "?" { continue }
            let address = ValkeyAddress(host: host.isEmpty ? askedHost : host, port: Int(port))
            let master: UInt16
            if let known = index[address] {
                master = known
            } else {
                // At most 16384 ranges each add one master, so the index fits below `unassigned`.
                master = UInt16(masters.count)
                masters.append(address)
                index[address] = master
            }
            for slot in Int(start)...Int(end) { owners[slot] = master }
        }
    }

    /// The master serving `slot`; nil when no master is known for it (or `slot` is out of range).
    public func owner(ofSlot slot: Int) -> ValkeyAddress? {
        masterIndex(ofSlot: slot).map { masters[$0] }
    }

    /// The index in `masters` of the master serving `slot`; nil when none is known.
    public func masterIndex(ofSlot slot: Int) -> Int? {
        guard slot >= 0, slot < owners.count else { return nil }
        let master = owners[slot]
        guard master != Self.unassigned, Int(master) < masters.count else { return nil }
        return Int(master)
    }

    /// Number of slots with a known master (16384 when the cluster is fully covered).
    public var coveredSlotCount: Int { owners.reduce(0) { $0 + ($1 == Self.unassigned ? 0 : 1) } }

    /// Records that `slot` now lives on `address` (after a `-MOVED`).
    public mutating func assign(slot: Int, to address: ValkeyAddress) {
        guard slot >= 0, slot < owners.count else { return }
        if let known = masters.firstIndex(of: address) {
            owners[slot] = UInt16(known)
        } else if masters.count < Int(Self.unassigned) {
            owners[slot] = UInt16(masters.count)
            masters.append(address)
        }
    }
}
