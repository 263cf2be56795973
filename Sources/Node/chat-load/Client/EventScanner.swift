import Rooms

/// What the generator needs from one event the server sent.
enum IncomingEvent: Equatable {
    /// A `msg` written by this run: its send stamp and sending connection.
    case message(stamp: UInt64, sender: Int)
    /// A `msg` whose text this run did not write.
    case foreignMessage
    /// An `ack`, with the numeric `cid` this run gave the send.
    case ack(cid: UInt64)
    /// `joined`.
    case joined
    /// `error`, its code and the send's `cid` when it names one of ours.
    case error(code: String, cid: UInt64?)
    /// Anything else (`mode`, `typing`, an `ack` of a cid not ours, ...).
    case other
}

/// Reads the few fields the generator needs from a server event without building a
/// document: `t`, then `text` of a `msg` or `cid` of an `ack`.
///
/// Why a scan is safe: in compact JSON (what the node and `JSON.stringify` write) a key
/// is always preceded by `{` or `,` and followed by `:`; inside a string every `"` is
/// escaped, so `,"t":"` cannot occur within a value. Events written with whitespace, or
/// anything the scan cannot read, fall back to the full parser (`JSONDocument`).
enum EventScanner {
    /// The text of a message this run sends: `<stamp>:<sender>:<tag>:` then `x` padding.
    static func parseText(_ text: UnsafeRawBufferPointer, tag: UInt16) -> IncomingEvent {
        var index = 0
        guard let stamp = decimal(text, &index), index < text.count, text[index] == UInt8(ascii: ":") else { return .foreignMessage }
        index += 1
        guard let sender = decimal(text, &index), index < text.count, text[index] == UInt8(ascii: ":") else { return .foreignMessage }
        index += 1
        guard let runTag = decimal(text, &index), runTag == UInt64(tag) else { return .foreignMessage }
        return .message(stamp: stamp, sender: Int(truncatingIfNeeded: sender))
    }

    /// Classifies one text event.
    static func scan(_ json: UnsafeRawBufferPointer, tag: UInt16) -> IncomingEvent {
        // `t` first (the node and JSON.stringify both write it first): no search at all.
        let typeStart = hasPrefix(json, Keys.leadingType) ? Keys.leadingType.utf8CodeUnitCount : valueStart(of: Keys.type, in: json)
        guard let typeStart, typeStart < json.count, json[typeStart] == UInt8(ascii: "\"") else {
            return slowPath(json, tag: tag)
        }
        let word = UnsafeRawBufferPointer(rebasing: json[(typeStart + 1)...])
        if hasPrefix(word, Words.msg) {
            guard let start = valueStart(of: Keys.text, in: json, from: typeStart + 5), start < json.count,
                  json[start] == UInt8(ascii: "\"") else {
                return slowPath(json, tag: tag)
            }
            return parseText(UnsafeRawBufferPointer(rebasing: json[(start + 1)...]), tag: tag)
        }
        if hasPrefix(word, Words.ack) {
            guard let start = valueStart(of: Keys.cid, in: json), start < json.count, json[start] == UInt8(ascii: "\"") else {
                return slowPath(json, tag: tag)
            }
            var index = start + 1
            guard let cid = decimal(json, &index), index < json.count, json[index] == UInt8(ascii: "\"") else { return .other }
            return .ack(cid: cid)
        }
        if hasPrefix(word, Words.joined) { return .joined }
        if hasPrefix(word, Words.error) { return slowPath(json, tag: tag) }
        return .other
    }

    /// The full parser, for errors and for JSON the scan cannot read.
    static func slowPath(_ json: UnsafeRawBufferPointer, tag: UInt16) -> IncomingEvent {
        guard let document = try? JSONDocument.parse(json), let type = document.root["t"]?.string else { return .other }
        switch type {
        case "msg":
            guard let text = document.root["text"]?.string else { return .foreignMessage }
            var bytes = Array(text.utf8)
            return bytes.withUnsafeMutableBytes { parseText(UnsafeRawBufferPointer($0), tag: tag) }
        case "ack":
            guard let cid = document.root["cid"]?.string, let value = UInt64(cid) else { return .other }
            return .ack(cid: value)
        case "joined":
            return .joined
        case "error":
            let code = document.root["code"]?.string ?? "unknown"
            let cid = document.root["cid"]?.string.flatMap { UInt64($0) }
            return .error(code: code, cid: cid)
        default:
            return .other
        }
    }

    // MARK: - Scanning

    private enum Keys {
        static let leadingType: StaticString = "{\"t\":"
        static let type: StaticString = "\"t\":"
        static let text: StaticString = "\"text\":"
        static let cid: StaticString = "\"cid\":"
    }

    private enum Words {
        static let msg: StaticString = "msg\""
        static let ack: StaticString = "ack\""
        static let joined: StaticString = "joined\""
        static let error: StaticString = "error\""
    }

    /// Index of the first byte of the value of `key` (given as `"name":`), when the key
    /// follows `{` or `,`. One pass over the bytes, two compares per byte.
    static func valueStart(of key: StaticString, in json: UnsafeRawBufferPointer, from start: Int = 1) -> Int? {
        let count = key.utf8CodeUnitCount
        guard count >= 2 else { return nil }
        let pattern = UnsafeRawBufferPointer(start: key.utf8Start, count: count)
        let first = pattern[0]
        let second = pattern[1]
        var index = max(1, start)
        let last = json.count - count
        while index <= last {
            if json[index] == first && json[index + 1] == second {
                let before = json[index - 1]
                if before == UInt8(ascii: ",") || before == UInt8(ascii: "{") {
                    var offset = 2
                    while offset < count && json[index + offset] == pattern[offset] { offset += 1 }
                    if offset == count { return index + count }
                }
            }
            index += 1
        }
        return nil
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        hasPrefix(bytes, UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for index in 0..<prefix.count where bytes[index] != prefix[index] { return false }
        return true
    }

    /// Reads ASCII digits at `index` (at least one, at most 19), advancing past them.
    static func decimal(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, digits < 19 {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : value
    }
}
