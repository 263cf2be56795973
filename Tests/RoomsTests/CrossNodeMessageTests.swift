import Testing
import TestSupport
@testable import Rooms

/// The payload between nodes: every kind round-trips, and no byte string traps the decoder.
@Suite struct CrossNodeMessageTests {
    static let events: [CrossNodeEvent] = [
        .roomMessage(ChatMessage(chat: .room(7), id: 1 << 40 | 5, from: 61, ts: 1_780_000_000_000, text: "héllo")),
        .roomMessage(ChatMessage(chat: .room(UInt32.max), id: UInt64.max, from: UInt32.max, ts: -1, text: "")),
        .typing(room: 3, user: 9, ts: 1_780_000_000_123),
        .read(room: 3, user: 9, id: 42),
        .edited(room: 3, id: 42, text: "fixed ✓", ets: 1_780_000_000_999),
        .directMessage(target: 2, from: 1, to: 2, id: 77, ts: 5, text: "dm"),
        .directMessage(target: 1, from: 1, to: 2, id: 77, ts: 5, text: "dm"),
        .presence(user: 12, node: 1023, seq: 1 << 50, online: true),
        .presence(user: 12, node: 0, seq: 1, online: false),
        .rateSpent(user: 4, tokens: 17),
        .roomInterest(room: 1_000_001),
    ]

    @Test(arguments: events) func roundTrips(_ event: CrossNodeEvent) throws {
        let bytes = CrossNodeMessage.encode(instance: 0xDEAD_BEEF_0102_0304, event)
        let decoded = try #require(CrossNodeMessage.decode(bytes))
        #expect(decoded.instance == 0xDEAD_BEEF_0102_0304)
        #expect(decoded.event == event)
        #expect(CrossNodeMessage.sender(of: bytes) == 0xDEAD_BEEF_0102_0304)
    }

    @Test func senderOfAMalformedHeaderIsNil() {
        #expect(CrossNodeMessage.sender(of: []) == nil)
        #expect(CrossNodeMessage.sender(of: [2, 1, 0, 0, 0]) == nil, "short instance")
        #expect(CrossNodeMessage.sender(of: [9, 1, 0, 0, 0, 0, 0, 0, 0, 7]) == nil, "another version")
        #expect(CrossNodeMessage.sender(of: [2, 1, 0, 0, 0, 0, 0, 0, 0, 7]) == 7)
    }

    @Test func refusesMalformedPayloads() {
        let good = CrossNodeMessage.encode(instance: 1, .read(room: 3, user: 9, id: 42))
        #expect(CrossNodeMessage.decode([]) == nil)
        #expect(CrossNodeMessage.decode([1] + good.dropFirst()) == nil, "version 1")
        #expect(CrossNodeMessage.decode(Array(good.dropLast())) == nil, "short body")
        #expect(CrossNodeMessage.decode(good + [0]) == nil, "trailing byte")
        var unknownKind = good
        unknownKind[1] = 99
        #expect(CrossNodeMessage.decode(unknownKind) == nil)
        let text = CrossNodeMessage.encode(instance: 1, .edited(room: 1, id: 2, text: "ok", ets: 3))
        #expect(CrossNodeMessage.decode(text + [0xFF, 0xFE]) == nil, "invalid UTF-8")
        let dm = CrossNodeMessage.encode(instance: 1, .directMessage(target: 5, from: 1, to: 2, id: 3, ts: 4, text: "x"))
        #expect(CrossNodeMessage.decode(dm) == nil, "target is neither party")
        var presence = CrossNodeMessage.encode(instance: 1, .presence(user: 1, node: 2, seq: 3, online: true))
        presence[presence.count - 1] = 2
        #expect(CrossNodeMessage.decode(presence) == nil, "online flag other than 0 or 1")
    }

    /// Random bytes, random truncations and random byte flips of valid payloads: the
    /// decoder answers (an event or nil) and never traps; whatever it accepts encodes back
    /// to the same bytes.
    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 0xC0DE_2026)
        let valid = Self.events.map { CrossNodeMessage.encode(instance: 99, $0) }
        var accepted = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = random.bytes(random.below(64))
            case 1:
                let source = valid[random.below(valid.count)]
                bytes = Array(source.prefix(random.below(source.count + 1)))
            default:
                bytes = valid[random.below(valid.count)]
                for _ in 0...random.below(3) where !bytes.isEmpty {
                    bytes[random.below(bytes.count)] = UInt8.random(in: 0...255, using: &random)
                }
                if random.below(2) == 0 { bytes[0] = 2 }
            }
            if let decoded = CrossNodeMessage.decode(bytes) {
                accepted += 1
                #expect(CrossNodeMessage.encode(instance: decoded.instance, decoded.event) == bytes)
            }
        }
        #expect(accepted > 0, "flipped payloads that stay valid are accepted")
    }
}
