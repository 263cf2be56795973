import TestSupport
import Testing
@testable import Shards

@Suite("ZstdCodec")
struct ZstdCodecTests {
    let codec = ZstdCodec()

    /// Text-like bytes that compress well.
    static func compressible(_ count: Int) -> [UInt8] {
        let text = bytes("hello room, this is a chat message that repeats itself. ")
        return (0..<count).map { text[$0 % text.count] }
    }

    @Test(arguments: [0, 1, 100, 512])
    func smallPayloadsAreStoredRaw(count: Int) throws {
        let payload = Self.compressible(count)
        let stored = try codec.encode(payload)
        #expect(stored == [ZstdCodec.rawFlag] + payload)
        #expect(try codec.decode(stored) == payload)
    }

    @Test(arguments: [513, 4096, 1 << 20])
    func largePayloadsAreCompressed(count: Int) throws {
        let payload = Self.compressible(count)
        let stored = try codec.encode(payload)
        #expect(stored.first == ZstdCodec.zstdFlag)
        #expect(stored.count < payload.count / 2)
        #expect(try codec.decode(stored) == payload)
    }

    @Test func incompressiblePayloadsStayRaw() throws {
        var random = SeededGenerator(seed: 5)
        let payload = random.bytes(4096)
        let stored = try codec.encode(payload)
        #expect(stored.first == ZstdCodec.rawFlag)
        #expect(try codec.decode(stored) == payload)
    }

    @Test func thresholdAndLevelAreSettings() throws {
        let eager = ZstdCodec(threshold: 0, level: 99)
        #expect(eager.level <= 22)
        let payload = Self.compressible(200)
        let stored = try eager.encode(payload)
        #expect(stored.first == ZstdCodec.zstdFlag)
        #expect(try codec.decode(stored) == payload)
    }

    @Test func oversizedPayloadsAreRejected() throws {
        #expect(throws: ShardsError.payloadTooLarge(size: (1 << 20) + 1, limit: 1 << 20)) {
            try codec.encode(Self.compressible((1 << 20) + 1))
        }
        // A frame that really holds 2 MiB, decoded with the 1 MiB limit.
        let big = try ZstdCodec(maximumSize: 4 << 20).encode(Self.compressible(2 << 20))
        #expect(throws: ShardsError.payloadTooLarge(size: 2 << 20, limit: 1 << 20)) { try codec.decode(big) }
        // A hand-made header claiming 2 MiB in 10 bytes: rejected before any allocation.
        let claim: [UInt8] = [0x01, 0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00]
        #expect(throws: ShardsError.payloadTooLarge(size: 2 << 20, limit: 1 << 20)) { try codec.decode(claim) }
        #expect(throws: ShardsError.payloadTooLarge(size: 11, limit: 10)) {
            try ZstdCodec(maximumSize: 10).decode([0x00] + Self.compressible(11))
        }
    }

    @Test func corruptValuesAreRejected() throws {
        #expect(throws: ShardsError.corruptPayload("empty value")) { try codec.decode([]) }
        #expect(throws: ShardsError.unknownPayloadFlag(7)) { try codec.decode([7, 1, 2, 3]) }
        #expect(throws: ShardsError.self) { try codec.decode([0x01]) }
        #expect(throws: ShardsError.self) { try codec.decode([0x01, 1, 2, 3, 4, 5, 6, 7, 8]) }
        let stored = try codec.encode(Self.compressible(4096))
        #expect(throws: ShardsError.self) { try codec.decode(Array(stored.dropLast(3))) }
        // A valid frame (raw block "hello") whose header records no content size.
        let unknown: [UInt8] = [0x01, 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x29, 0x00, 0x00] + bytes("hello")
        #expect(throws: ShardsError.corruptPayload("zstd frame without a content size")) { try codec.decode(unknown) }
    }

    @Test func mutatedFramesNeverTrap() throws {
        var random = SeededGenerator(seed: 99)
        let stored = try codec.encode(Self.compressible(3000))
        var rejected = 0
        for _ in 0..<2000 {
            var mutated = stored
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 1..<mutated.count, using: &random)
                mutated[index] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) { mutated = Array(mutated.prefix(Int.random(in: 1...mutated.count, using: &random))) }
            do {
                let payload = try codec.decode(mutated)
                #expect(payload.count <= codec.maximumSize)
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 1000)
    }
}
