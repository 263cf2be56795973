import Testing
@testable import Rooms

/// A room's remembered acks: found within the window, forgotten after it or past the limit.
@Suite struct AckMemoryTests {
    typealias Memory = AckMemory<String>

    @Test func anAckIsFoundWithinTheWindowOnly() {
        var memory = Memory(windowMs: 1000, limit: 100)
        memory.remember("a", .init(id: 1, ts: 10, atMs: 0))
        #expect(memory.ack(for: "a", nowMs: 999)?.id == 1)
        #expect(memory.ack(for: "a", nowMs: 1000) == nil)
        #expect(memory.ack(for: "b", nowMs: 0) == nil)
    }

    @Test func expiredAcksAreForgottenAsNewOnesArrive() {
        var memory = Memory(windowMs: 1000, limit: 1_000_000)
        for step in 0..<10_000 {
            memory.remember("k\(step)", .init(id: UInt64(step), ts: 0, atMs: Int64(step)))
        }
        // Only the last window's worth (atMs 9000...9999) is kept.
        #expect(memory.count == 1000)
        #expect(memory.ack(for: "k8999", nowMs: 9999) == nil)
        #expect(memory.ack(for: "k9000", nowMs: 9999)?.id == 9000)
    }

    @Test func theLimitForgetsTheOldestFirst() {
        var memory = Memory(windowMs: 1_000_000, limit: 3)
        for (step, key) in ["a", "b", "c", "d", "e"].enumerated() {
            memory.remember(key, .init(id: UInt64(step), ts: 0, atMs: Int64(step)))
        }
        #expect(memory.count == 3)
        #expect(memory.ack(for: "b", nowMs: 5) == nil)
        #expect(memory.ack(for: "c", nowMs: 5)?.id == 2)
        #expect(memory.ack(for: "e", nowMs: 5)?.id == 4)
    }

    @Test func aKeyRememberedAgainKeepsItsNewerAck() {
        var memory = Memory(windowMs: 100, limit: 1000)
        memory.remember("a", .init(id: 1, ts: 0, atMs: 0))
        memory.remember("a", .init(id: 2, ts: 0, atMs: 60))
        memory.remember("b", .init(id: 3, ts: 0, atMs: 120))  // the first entry of "a" expires
        #expect(memory.ack(for: "a", nowMs: 120)?.id == 2)
        #expect(memory.count == 2)
    }
}
