import TestSupport
import Testing
@testable import Rooms

@Suite("Protocol binary frames")
struct ProtocolBinaryTests {
    private let decoder = ClientCommandDecoder(maxTextBytes: 16)

    private func refusal(_ frame: [UInt8]) -> ProtocolError? {
        do {
            _ = try decoder.decodeBinary(frame)
            return nil
        } catch {
            return error
        }
    }

    /// A raw frame with an explicit length field.
    private func frame(type: UInt8, room: UInt16 = 0x0102, length: Int? = nil, payload: [UInt8]) -> [UInt8] {
        let count = length ?? payload.count
        return [type, 0xAA, 0xBB, 0xCC, 0xDD, UInt8(room >> 8), UInt8(room & 0xFF), 0x11, 0x22, 0x33, 0x44,
                UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)] + payload
    }

    @Test func headerLayoutIsBigEndian() throws {
        let bytes = try #require(BinaryFrame.clientSend(room: 0x0102, cid: "c", text: "hi"))
        #expect(bytes == [1, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0, 4, 1, UInt8(ascii: "c"), UInt8(ascii: "h"), UInt8(ascii: "i")])
        let parsed = try BinaryFrame(parsing: frame(type: 3, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(parsed == BinaryFrame(kind: .read, userID: 0xAABB_CCDD, roomID: 0x0102, timestamp: 0x1122_3344, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(parsed.encoded() == frame(type: 3, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
    }

    @Test func clientFramesDecodeToCommands() throws {
        #expect(try decoder.decodeBinary(#require(BinaryFrame.clientSend(room: 65_535, cid: "c1", text: "héllo"))) == .send(room: 65_535, text: "héllo", cid: "c1"))
        #expect(try decoder.decodeBinary(#require(BinaryFrame.clientSend(room: 0, cid: "", text: "x"))) == .send(room: 0, text: "x", cid: ""))
        #expect(try decoder.decodeBinary(BinaryFrame.clientTyping(room: 7)) == .typing(room: 7))
        #expect(try decoder.decodeBinary(BinaryFrame.clientRead(room: 7, id: 0x0102_0304_0506_0708)) == .read(room: 7, id: 0x0102_0304_0506_0708))
        // user_id and timestamp are ignored: the raw helper fills them with junk.
        #expect(try decoder.decodeBinary(frame(type: 2, payload: [])) == .typing(room: 0x0102))
        let bytes = try #require(BinaryFrame.clientSend(room: 3, cid: "z", text: "t"))
        #expect(try bytes.withUnsafeBytes { buffer throws(ProtocolError) in try decoder.decodeBinary(buffer) } == .send(room: 3, text: "t", cid: "z"))
    }

    @Test func malformedFramesAreBadRequests() {
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("short header", [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]),
            ("length past the end", frame(type: 2, length: 1, payload: [])),
            ("trailing bytes", frame(type: 2, length: 0, payload: [9])),
            ("read length past the end", frame(type: 3, length: 8, payload: [1, 2, 3])),
            ("unknown type 0", frame(type: 0, payload: [])),
            ("unknown type 5", frame(type: 5, payload: [])),
            ("unknown type 255", frame(type: 255, payload: [])),
            ("ack from a client", frame(type: 4, payload: [0, 0, 0, 0, 0, 0, 0, 1])),
            ("typing with payload", frame(type: 2, payload: [1])),
            ("read short id", frame(type: 3, payload: [1, 2, 3, 4, 5, 6, 7])),
            ("read long id", frame(type: 3, payload: [1, 2, 3, 4, 5, 6, 7, 8, 9])),
            ("send without payload", frame(type: 1, payload: [])),
            ("send cid past the end", frame(type: 1, payload: [3, 0x61, 0x62])),
            ("send cid fills payload, no text", frame(type: 1, payload: [2, 0x61, 0x62])),
            ("send empty text", frame(type: 1, payload: [0])),
            ("send invalid UTF-8 text", frame(type: 1, payload: [0, 0x61, 0xC3])),
            ("send surrogate in text", frame(type: 1, payload: [0, 0xED, 0xA0, 0x80])),
            ("send invalid UTF-8 cid", frame(type: 1, payload: [1, 0xFF, 0x61])),
            ("send cid over 64 scalars", frame(type: 1, payload: [65] + Array(repeating: 0x61, count: 65) + [0x61])),
        ]
        for (name, bytes) in cases {
            let error = refusal(bytes)
            #expect(error?.code == .badRequest, "\(name)")
        }
        #expect(throws: ProtocolError.self) { try BinaryFrame(parsing: [UInt8]([4, 0])) }
    }

    @Test func textLimitIsTooLargeWithTheCid() throws {
        #expect(refusal(frame(type: 1, payload: [1, 0x6B] + Array(repeating: 0x61, count: 16))) == nil)
        let error = refusal(frame(type: 1, payload: [1, 0x6B] + Array(repeating: 0x61, count: 17)))
        #expect(error?.code == .tooLarge && error?.cid == "k")
        let anonymous = refusal(frame(type: 1, payload: [0] + Array(repeating: 0x61, count: 17)))
        #expect(anonymous?.code == .tooLarge && anonymous?.cid == nil)
        let max = Array(repeating: UInt8(0x61), count: 64)
        #expect(try decoder.decodeBinary(frame(type: 1, payload: [64] + max + [0x62])) == .send(room: 0x0102, text: "b", cid: String(repeating: "a", count: 64)))
    }

    @Test func nodeFramesRoundTrip() throws {
        let message = ChatMessage(chat: .room(300), id: 0xDEAD_BEEF_0000_0001, from: 9, ts: 1_733_000_000_999, text: "hé")
        let msg = try BinaryFrame(parsing: #require(BinaryFrame.message(message)))
        #expect(msg == BinaryFrame(kind: .message, userID: 9, roomID: 300, timestamp: 1_733_000_000,
                                   payload: [0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 1] + Array("hé".utf8)))

        let typing = try BinaryFrame(parsing: #require(BinaryFrame.typing(room: 5, user: 6, timestampMs: 2_500)))
        #expect(typing == BinaryFrame(kind: .typing, userID: 6, roomID: 5, timestamp: 2, payload: []))

        let read = try BinaryFrame(parsing: #require(BinaryFrame.read(room: 5, user: 6, id: 258, timestampMs: 1_000)))
        #expect(read == BinaryFrame(kind: .read, userID: 6, roomID: 5, timestamp: 1, payload: [0, 0, 0, 0, 0, 0, 1, 2]))

        let ack = try BinaryFrame(parsing: #require(BinaryFrame.ack(room: 5, user: 6, id: 1, cid: "c9", timestampMs: -5)))
        #expect(ack == BinaryFrame(kind: .ack, userID: 6, roomID: 5, timestamp: 0, payload: [0, 0, 0, 0, 0, 0, 0, 1, 0x63, 0x39]))
    }

    @Test func whatTheLayoutCannotCarryIsNil() {
        #expect(BinaryFrame.message(ChatMessage(chat: .room(65_536), id: 1, from: 1, ts: 0, text: "a")) == nil)
        #expect(BinaryFrame.message(ChatMessage(chat: .dm(peer: 2), id: 1, from: 1, ts: 0, text: "a")) == nil)
        #expect(BinaryFrame.message(ChatMessage(chat: .room(1), id: 1, from: 1, ts: 0, text: String(repeating: "a", count: 65_528))) == nil)
        #expect(BinaryFrame.message(ChatMessage(chat: .room(1), id: 1, from: 1, ts: 0, text: String(repeating: "a", count: 65_527))) != nil)
        #expect(BinaryFrame.typing(room: 70_000, user: 1, timestampMs: 0) == nil)
        #expect(BinaryFrame.read(room: 70_000, user: 1, id: 1, timestampMs: 0) == nil)
        #expect(BinaryFrame.ack(room: 1, user: 1, id: 1, cid: String(repeating: "a", count: 256), timestampMs: 0) == nil)
        #expect(BinaryFrame.clientSend(room: 1, cid: String(repeating: "a", count: 256), text: "x") == nil)
        #expect(BinaryFrame.clientSend(room: 1, cid: "", text: String(repeating: "a", count: 65_535)) == nil)
        #expect(BinaryFrame.seconds(Int64.max) == UInt32.max && BinaryFrame.seconds(Int64.min) == 0)
    }

    /// Random frames, some built from valid ones: the decoder answers without trapping.
    @Test func randomFramesNeverCrash() {
        var random = SplitMix64(seed: 0xB1_7A_11)
        let valid = [BinaryFrame.clientTyping(room: 1), BinaryFrame.clientRead(room: 1, id: 2), BinaryFrame.clientSend(room: 1, cid: "c", text: "hi") ?? []]
        var decoded = 0
        for round in 0..<20_000 {
            var bytes = round % 2 == 0 ? valid[random.below(valid.count)] : (0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if !bytes.isEmpty, round % 3 == 0 { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
            if (try? decoder.decodeBinary(bytes)) != nil { decoded += 1 }
            _ = try? BinaryFrame(parsing: bytes)
        }
        #expect(decoded > 1_000)
    }
}
