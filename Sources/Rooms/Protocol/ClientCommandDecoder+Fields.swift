// MARK: Field readers: each one value of the right type and range, or `bad_request`.

extension ClientCommandDecoder {
    /// A required user or room id: a JSON integer in 0...2^32-1.
    func uint32Field(_ object: JSONValue, _ key: StaticString, cid: String? = nil) throws(ProtocolError) -> UInt32 {
        guard let value = object[key] else { throw .badRequest("missing \(key)", cid: cid) }
        guard let id = value.uint64.flatMap(UInt32.init(exactly:)) else {
            throw .badRequest("\(key) must be an integer in 0...4294967295", cid: cid)
        }
        return id
    }

    /// A required message id.
    func messageIDField(_ object: JSONValue, _ key: StaticString) throws(ProtocolError) -> UInt64 {
        guard let id = try optionalMessageIDField(object, key) else { throw .badRequest("missing \(key)") }
        return id
    }

    /// An optional message id: a decimal string or a non-negative JSON integer; `null` or
    /// absent is `nil`.
    func optionalMessageIDField(_ object: JSONValue, _ key: StaticString) throws(ProtocolError) -> UInt64? {
        guard let value = object[key], !value.isNull else { return nil }
        if let id = value.uint64 { return id }
        if value.kind == .string, let text = value.string, let id = Self.parseDecimal(text.utf8) { return id }
        throw .badRequest("\(key) must be a message id (decimal string)")
    }

    /// An optional string; `null` or absent is `nil`.
    func optionalStringField(_ object: JSONValue, _ key: StaticString) throws(ProtocolError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let string = value.string else { throw .badRequest("\(key) must be a string") }
        return string
    }

    /// The `cid` of `send` and `dm`.
    func cidField(_ object: JSONValue) throws(ProtocolError) -> String {
        guard let value = object["cid"], let cid = value.string else { throw .badRequest("cid must be a string") }
        guard Self.isValidCID(cid.utf8, allowEmpty: false) else { throw .badRequest("cid must be 1 to 64 characters") }
        return cid
    }

    /// The `text` of `send`, `dm` and `edit`.
    func textField(_ object: JSONValue, cid: String?) throws(ProtocolError) -> String {
        guard let value = object["text"], let count = value.stringByteCount else {
            throw .badRequest("text must be a string", cid: cid)
        }
        try checkTextSize(count, cid: cid)
        return value.string ?? ""
    }

    /// `history.limit`: absent or `null` is the default.
    func limitField(_ object: JSONValue) throws(ProtocolError) -> Int {
        guard let value = object["limit"], !value.isNull else { return ProtocolLimits.defaultHistoryLimit }
        guard let limit = value.uint64, limit >= 1, limit <= UInt64(ProtocolLimits.maxHistoryLimit) else {
            throw .badRequest("limit must be an integer in 1...\(ProtocolLimits.maxHistoryLimit)")
        }
        return Int(limit)
    }

    /// `presence.users`: an array of at most 500 user ids.
    func usersField(_ object: JSONValue) throws(ProtocolError) -> [UInt32] {
        guard let value = object["users"], value.kind == .array else { throw .badRequest("users must be an array") }
        guard value.count <= ProtocolLimits.maxPresenceUsers else {
            throw .badRequest("users: at most \(ProtocolLimits.maxPresenceUsers) ids")
        }
        var users: [UInt32] = []
        users.reserveCapacity(value.count)
        for element in value.elements {
            guard let user = element.uint64.flatMap(UInt32.init(exactly:)) else {
                throw .badRequest("users must hold integers in 0...4294967295")
            }
            users.append(user)
        }
        return users
    }

    // MARK: Shared with the binary decoder

    /// Empty text is `bad_request`; over the limit is `too_large`, carrying the cid.
    func checkTextSize(_ byteCount: Int, cid: String?) throws(ProtocolError) {
        guard byteCount > 0 else { throw .badRequest("text must not be empty", cid: cid) }
        guard byteCount <= maxTextBytes else {
            throw ProtocolError(.tooLarge, "text over \(maxTextBytes) bytes", cid: cid)
        }
    }

    /// Whether `utf8` (valid UTF-8) has at most 64 Unicode scalars, and at least one unless
    /// `allowEmpty`. Scalars are counted as bytes that are not continuation bytes.
    static func isValidCID<Bytes: Sequence>(_ utf8: Bytes, allowEmpty: Bool) -> Bool where Bytes.Element == UInt8 {
        var scalars = 0
        for byte in utf8 where byte & 0xC0 != 0x80 {
            scalars += 1
            if scalars > ProtocolLimits.maxCIDScalars { return false }
        }
        return allowEmpty || scalars > 0
    }

    /// A decimal string of 1 or more ASCII digits that fits `UInt64`, else `nil`.
    static func parseDecimal<Bytes: Sequence>(_ digits: Bytes) -> UInt64? where Bytes.Element == UInt8 {
        var value: UInt64 = 0
        var any = false
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
            any = true
        }
        return any ? value : nil
    }
}
