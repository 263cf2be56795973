import Foundation
import Rooms
import Shards
import Testing
import TestSupport

/// `ValkeyChatStore.appendRoomMessage` (the store-and-publish script) against a real
/// valkey-server, with a raw subscriber on the room's channel.
@Suite struct ValkeyRoomAppendTests {
    static let room: UInt32 = 7

    /// Appends message `id` of room 7 with the publication payload `payload`.
    func append(_ h: StoreHarness, _ id: UInt64, payload: String) async throws -> RoomAppendOutcome {
        let message = StoredMessage(id: id, from: 1, ts: 1, text: "m\(id)")
        let publication = RoomPublication(command: "PUBLISH", channel: Keyspace.roomChannel(Self.room), payload: Array(payload.utf8))
        return try await h.call { store, done in
            store.appendRoomMessage(message, room: Self.room, publication: publication, completion: done)
        }
    }

    func ids(_ h: StoreHarness) async throws -> [UInt64] {
        try await h.call { store, done in store.page(.room(Self.room), before: nil, limit: 50, completion: done) }.map(\.id)
    }

    @Test func publishesInIDOrderAndRefusesWhatIsNotNewest() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let h = fixture.harness
        let subscriber = try RawSubscriber(port: fixture.servers[0].port, channel: "room.{7}")
        defer { subscriber.close() }

        #expect(try await append(h, 10, payload: "<p10>") == .stored(reached: 1))
        #expect(try await append(h, 20, payload: "<p20>") == .stored(reached: 1))
        // Below the newest: refused with the newest id, nothing stored or published.
        #expect(try await append(h, 15, payload: "<p15-refused>") == .refused(newest: 20))
        // A resend of a stored id: nothing again.
        #expect(try await append(h, 20, payload: "<p20-again>") == .duplicate)
        #expect(try await append(h, 30, payload: "<p30>") == .stored(reached: 1))

        // A plain append below the newest (a node alone in the room until now), then the
        // script again: it compares with what the room holds, whoever wrote it.
        try await h.append(40, to: .room(Self.room))
        #expect(try await append(h, 35, payload: "<p35-refused>") == .refused(newest: 40))
        #expect(try await append(h, 41, payload: "<p41>") == .stored(reached: 1))

        #expect(try await ids(h) == [10, 20, 30, 40, 41])
        let received = try await onOwnThread { subscriber.read(until: "<p41>", seconds: 5) }
        let order = ["<p10>", "<p20>", "<p30>", "<p41>"].map { received.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil }, "every publication arrives: \(received)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "in the order they were stored")
        #expect(!received.contains("refused>") && !received.contains("again>"), "nothing refused or repeated is published")
        #expect(try fixture.servers[0].command("TTL", "room:{7}:epoch") != ":-2\r\n", "the epoch is created with the history")
        try await fixture.stop()
    }

    @Test func aServerThatForgotTheScriptGetsItAgain() async throws {
        let fixture = try await ValkeyStoreFixture.start()
        let h = fixture.harness
        #expect(try await append(h, 1, payload: "a") == .stored(reached: 0))
        #expect(try fixture.servers[0].command("SCRIPT", "FLUSH").hasPrefix("+OK"))
        #expect(try await append(h, 2, payload: "b") == .stored(reached: 0))
        #expect(try await append(h, 3, payload: "c") == .stored(reached: 0))
        #expect(try await ids(h) == [1, 2, 3])
        try await fixture.stop()
    }

    @Test func trimsToHistoryMaxLikeAppend() async throws {
        let fixture = try await ValkeyStoreFixture.start(historyMax: 3)
        let h = fixture.harness
        for id in 1...6 as ClosedRange<UInt64> { _ = try await append(h, id, payload: "x") }
        #expect(try await ids(h) == [4, 5, 6])
        try await fixture.stop()
    }
}

/// A blocking client that subscribed to one channel and reads what arrives, as text.
final class RawSubscriber: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, channel: String) throws {
        guard let fd = loopbackConnect(port: port, receiveTimeoutSeconds: 1) else { throw POSIXError(.ECONNREFUSED) }
        self.fd = fd
        let command = "*2\r\n$9\r\nSUBSCRIBE\r\n$\(channel.utf8.count)\r\n\(channel)\r\n"
        _ = command.withCString { write(fd, $0, strlen($0)) }
        _ = read(until: "subscribe", seconds: 5)
    }

    /// What arrives until `marker` is seen or `seconds` have passed.
    func read(until marker: String, seconds: Double) -> String {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline, !String(decoding: bytes, as: UTF8.self).contains(marker) {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count > 0 { bytes += buffer[0..<count] }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func close() { Foundation.close(fd) }
}
