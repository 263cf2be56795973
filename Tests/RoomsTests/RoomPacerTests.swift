import Gateway
import Testing
@testable import Rooms

/// The pacing of room broadcasts under load: at most one batch per room per second, every
/// message kept, id order; HIGH class by recent activity; @mentions.
@Suite struct RoomPacerTests {
    func delivery(_ text: String, to recipients: [Int32]) -> Delivery {
        Delivery(json: OutboundMessage(payload: Array(text.utf8)),
                 jsonRecipients: recipients.map { ConnectionID(slot: $0, generation: 1) },
                 binary: nil, binaryRecipients: [])
    }

    func texts(_ batch: [Delivery]) -> [String] {
        batch.map { String(decoding: $0.json.payload, as: UTF8.self) }
    }

    @Test func firstMessageGoesAtOnceThenOneBatchPerSecond() {
        var pacer = RoomPacer()
        let result1 = pacer.offer(delivery("1", to: [5]), key: 1, nowMs: 10_000)
        #expect(result1 == .now)
        let result2 = pacer.offer(delivery("2", to: [5]), key: 2, nowMs: 10_200)
        #expect(result2 == .held(dueMs: 11_000, schedule: true))
        let result3 = pacer.offer(delivery("3", to: [5]), key: 3, nowMs: 10_700)
        #expect(result3 == .held(dueMs: 11_000, schedule: false))
        let result4 = pacer.takeBatch(nowMs: 11_000)
        #expect(texts(result4) == ["2", "3"])
        #expect(pacer.isEmpty)
        // The batch at 11,000 counts: the next message within the second waits for 12,000.
        let result5 = pacer.offer(delivery("4", to: [5]), key: 4, nowMs: 11_500)
        #expect(result5 == .held(dueMs: 12_000, schedule: true))
        let result6 = pacer.takeBatch(nowMs: 12_000)
        #expect(texts(result6) == ["4"])
        let result7 = pacer.offer(delivery("5", to: [5]), key: 5, nowMs: 13_500)
        #expect(result7 == .now)
    }

    @Test func batchesAreInIdOrderAndAnEditFollowsItsMessage() {
        var pacer = RoomPacer()
        _ = pacer.offer(delivery("first", to: [5]), key: 10, nowMs: 0)
        _ = pacer.offer(delivery("remote 30", to: [5]), key: 30, nowMs: 100)
        _ = pacer.offer(delivery("local 20", to: [5]), key: 20, nowMs: 200)
        _ = pacer.offer(delivery("edit of 20", to: [5]), key: 20, nowMs: 300)
        let result8 = pacer.takeBatch(nowMs: 1000)
        #expect(texts(result8) == ["local 20", "edit of 20", "remote 30"])
    }

    @Test func aFullBatchIsSentEarly() {
        var pacer = RoomPacer()
        _ = pacer.offer(delivery("0", to: [5]), key: 0, nowMs: 0)
        var last = RoomPacer.Decision.now
        for index in 1...RoomPacer.maxHeld {
            last = pacer.offer(delivery(String(index), to: [5]), key: UInt64(index), nowMs: 10)
        }
        #expect(last == .flush)
        let result9 = pacer.takeBatch(nowMs: 10)
        #expect(result9.count == RoomPacer.maxHeld)
    }

    @Test func activityMakesAConnectionHighClassForFiveMinutes() {
        var pacer = RoomPacer()
        let connection = ConnectionID(slot: 7, generation: 1)
        #expect(!pacer.isActive(connection, nowMs: 0))
        pacer.noteActive(connection, nowMs: 1000)
        #expect(pacer.isActive(connection, nowMs: 1000 + RoomPacer.activeWindowMs - 1))
        #expect(!pacer.isActive(connection, nowMs: 1000 + RoomPacer.activeWindowMs))
        #expect(!pacer.isActive(ConnectionID(slot: 7, generation: 2), nowMs: 1000))
        let result10 = pacer.prune(nowMs: 2000)
        #expect(!result10)
        let result11 = pacer.prune(nowMs: 1000 + RoomPacer.activeWindowMs)
        #expect(result11)
    }

    @Test func mentionsNameIdsAndNames() {
        let ann = JWTClaims(userID: 42, expiresAt: 0, name: "Ann.B")
        let bob = JWTClaims(userID: 7, expiresAt: 0, name: "bob")
        let nameless = JWTClaims(userID: 9, expiresAt: 0)
        #expect(Mentions("no mention here") == nil)
        #expect(Mentions("mail me at @ once") == nil)
        let mentions = Mentions("hi @ann.b, and @9!")
        #expect(mentions?.mention(ann) == true)
        #expect(mentions?.mention(nameless) == true)
        #expect(mentions?.mention(bob) == false)
        #expect(Mentions("@BOB")?.mention(bob) == true)
        #expect(Mentions("x@7")?.mention(bob) == true)
        #expect(Mentions("@" + String(repeating: "7", count: 200))?.mention(bob) == false)
    }
}
