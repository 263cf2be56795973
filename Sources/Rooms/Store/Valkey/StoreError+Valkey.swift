import Shards

// MARK: - Link failures and error replies

extension StoreError {
    /// A link failure as the store reports it: storage unreachable (`unavailable`), except
    /// replies Valkey refused or that had the wrong type.
    init(_ error: ShardLinkError) {
        switch error {
        case .replyError(let message): self = .reply(message)
        case .unexpectedReply(let what): self = .corrupt("unexpected reply: \(what)")
        case .connectFailed, .connectionLost, .protocolError, .outboxFull, .stopped, .tooManyRedirects, .noRoute:
            self = .unavailable(error.description)
        }
    }

    /// Error replies that mean "not now" (a server loading, out of memory, read-only, a
    /// cluster moving slots): retrying later may work, so the client hears `unavailable`.
    static let transientReplies: Set<Substring> = [
        "LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "MISCONF", "TRYAGAIN", "CLUSTERDOWN",
        "MOVED", "ASK", "NOREPLICAS", "NOSCRIPT",
    ]

    /// An error reply: `unavailable` when transient, else `corrupt` (e.g. `WRONGTYPE`: the
    /// key holds something this store did not write).
    static func reply(_ message: String) -> StoreError {
        let code = message.prefix { $0 != " " }
        if transientReplies.contains(code) { return .unavailable("Valkey: \(message)") }
        return .corrupt("Valkey: \(message)")
    }
}

// MARK: - Replies of the expected type

extension RESPValue {
    /// The value of an integer reply; `.corrupt` for any other type.
    func storeInteger(_ command: StaticString) throws(StoreError) -> Int64 {
        guard case .integer(let value) = self else { throw .corrupt("\(command) answered \(self)") }
        return value
    }

    /// The elements of an array reply; `.corrupt` for any other type.
    func storeArray(_ command: StaticString) throws(StoreError) -> [RESPValue] {
        guard case .array(let elements) = self else { throw .corrupt("\(command) answered \(self)") }
        return elements
    }

    /// The bytes of each element of an array of bulk strings; `.corrupt` otherwise.
    func storeBulkStrings(_ command: StaticString) throws(StoreError) -> [[UInt8]] {
        var strings: [[UInt8]] = []
        for element in try storeArray(command) {
            guard case .bulkString(let bytes) = element else { throw .corrupt("\(command) answered \(element) in its array") }
            strings.append(bytes)
        }
        return strings
    }

    /// `+OK` or null (a `SET ... NX` that did not set); `.corrupt` otherwise.
    func storeStatusOrNull(_ command: StaticString) throws(StoreError) {
        switch self {
        case .simpleString, .null: return
        default: throw .corrupt("\(command) answered \(self)")
        }
    }
}

// MARK: - Decimal ids

/// Canonical unsigned decimals as stored in sets and hashes (ids, read positions).
enum StoredDecimal {
    /// Parses digits (no sign, no spaces, no leading zero but "0" itself) into a value of
    /// at most `limit`; nil for anything else, never a trap.
    static func parse(_ bytes: [UInt8], limit: UInt64 = .max) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 20, bytes.count == 1 || bytes.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 48, byte <= 57 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- 48))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value <= limit ? value : nil
    }
}
