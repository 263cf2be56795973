@preconcurrency import Glibc
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Gateway

/// A gateway over two loops (`Gateway(loop:ioLoops:...)`, `GATEWAY_LOOPS=2`): SO_REUSEPORT
/// spreads connections over both, the application (on loop 0) sees all of them, and what it
/// sends reaches connections on either loop.
@Suite(.serialized) struct GatewayLoopsTests {
    @Test func connectionsLandOnBothLoopsAndTalkAcrossThem() async throws {
        let running = try await RunningGateway.start(loops: 2)
        let clients = try await onOwnThread { try openClients(24, port: running.port) }
        try await eventually("all open") { running.application.opened.withLock { $0 } == 24 }

        // Inspection covers both loops and agrees with what the application was told.
        let infos = await running.gateway.topConnectionsOnEveryLoop(limit: 100)
        #expect(infos.count == 24)
        #expect(Set(infos.map(\.id.loop)) == [0, 1], "SO_REUSEPORT spreads 24 connections over both loops")
        #expect(Set(infos.map(\.id.description)) == Set(clients.map(\.id)))
        #expect(await running.gateway.webSocketCountOnEveryLoop() == 24)
        #expect(await running.gateway.connectionCount == 24)

        let onOne = try #require(clients.first { loopOf($0.id) == 1 })
        let onZero = try #require(clients.first { loopOf($0.id) == 0 })
        let (fromOne, fromZero) = try await onOwnThread { () -> (String?, String?) in
            onOne.client.send("to:\(onZero.id):from loop 1")
            let first = onZero.client.nextText()
            onZero.client.send("to:\(onOne.id):from loop 0")
            return (first, onOne.client.nextText())
        }
        #expect(fromOne == "from loop 1")
        #expect(fromZero == "from loop 0")

        // A broadcast from a connection on loop 1 reaches every connection on both loops.
        let received = try await onOwnThread { () -> [String?] in
            onOne.client.send("broadcast:everyone")
            return clients.map { $0.client.nextText() }
        }
        #expect(received == Array(repeating: "everyone", count: 24))

        // The application's budget (its tier) reaches a connection on loop 1.
        try await onOwnThread { onOne.client.send("budget:5000") }
        try await eventually("budget applied on loop 1") {
            await running.gateway.topConnectionsOnEveryLoop(limit: 100).contains { $0.id.description == onOne.id && $0.budget == 5000 }
        }
        await running.stop()
    }

    @Test func httpRoutesUpgradesAndPipeliningOnEveryLoop() async throws {
        let running = try await RunningGateway.start(loops: 2)
        // An upgrade with a frame right behind it in the same packet: the frame waits while
        // loop 0 routes the request, then is read as the first message.
        let upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let results = try await onOwnThread { () -> [(http: String, echo: String)] in
            try (0..<16).map { _ in
                let http = try RawClient(port: running.port)
                http.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
                let (bytes, _) = http.read { String(decoding: $0, as: UTF8.self).contains("404") }
                let ws = try RawClient(port: running.port)
                ws.send(Array(upgrade.utf8) + rawFrame(first: 0x81, payload: Array("whoami".utf8)))
                let (reply, _) = ws.read { bytes in
                    guard let end = RawClient.headEnd(in: bytes), bytes.count >= end + 6 else { return false }
                    return bytes.count >= end + 6 + Int(bytes[end + 5] & 0x7F)
                }
                let end = RawClient.headEnd(in: reply) ?? 0
                let echo = reply.count > end + 6 ? String(decoding: reply[(end + 6)...], as: UTF8.self) : ""
                return (String(decoding: bytes, as: UTF8.self), echo)
            }
        }
        for result in results {
            #expect(result.http.hasPrefix("HTTP/1.1 200") && result.http.contains("hello") && result.http.contains("HTTP/1.1 404"))
        }
        #expect(Set(results.map { loopOf($0.echo) }) == [0, 1], "ids: \(results.map(\.echo))")
        await running.stop()
    }

    @Test func slowConsumerOnTheIOLoopIsClosedWith4008() async throws {
        let running = try await RunningGateway.start(loops: 2) { $0.defaultBudget = 4096 }
        let clients = try await onOwnThread { try openClients(16, port: running.port, receiveBuffer: 4096) }
        let reader = try #require(clients.first { loopOf($0.id) == 1 })
        let sender = try #require(clients.first { loopOf($0.id) == 0 })
        // The reader reads nothing while loop 0 sends it 400 frames of 8 KB.
        try await onOwnThread {
            for _ in 0..<400 { sender.client.send("to:\(reader.id):\(String(repeating: "z", count: 8000))") }
        }
        try await eventually("slow consumer cut") { running.gateway.counters.slowConsumers.load(ordering: .relaxed) >= 1 }
        try await eventually("the application is told on loop 0") { running.application.closed.withLock { $0 } == 1 }
        let code = try await onOwnThread { reader.client.closeCode() }
        #expect(code == 4008)
        let open = await running.gateway.topConnectionsOnEveryLoop(limit: 100).filter { $0.state == "websocket" }
        #expect(open.count == 15 && !open.contains { $0.id.description == reader.id })
        await running.stop()
    }

    @Test func drainClosesEveryLoopWith1001AndStopLeavesNoSocket() async throws {
        let running = try await RunningGateway.start(loops: 2)
        let clients = try await onOwnThread { try openClients(16, port: running.port) }
        #expect(Set(clients.map { loopOf($0.id) }) == [0, 1])
        await running.gateway.drain()
        let codes = try await onOwnThread { clients.map { $0.client.closeCode() } }
        #expect(codes == Array(repeating: UInt16(1001), count: 16))
        try await eventually("the application saw every close") { running.application.closed.withLock { $0 } == 16 }
        #expect(await !running.gateway.isAccepting)
        #expect(throws: SystemError.self) { _ = try RawClient(port: running.port) }
        await running.stop()
        try await eventually("no socket left on either loop") {
            running.gateway.counters.open.load(ordering: .relaxed) == 0 && openSocketCount(port: running.port) == 0
        }
    }

    @Test func idleConnectionsArePingedOnEveryLoop() async throws {
        let running = try await RunningGateway.start(loops: 2) { $0.pingIdleSeconds = 1 }
        let clients = try await onOwnThread { try openClients(12, port: running.port) }
        #expect(Set(clients.map { loopOf($0.id) }) == [0, 1])
        let opcodes = try await onOwnThread { clients.map { $0.client.nextFrame()?.opcode } }
        #expect(opcodes == Array(repeating: UInt8(0x9), count: 12))
        await running.stop()
    }

    @Test func independentPythonClientPassesItsChecksOnTwoLoops() async throws {
        let running = try await RunningGateway.start(loops: 2)
        try await GatewayEndToEndTests.expectPythonClientChecks(running)
        #expect(running.gateway.counters.accepted.load(ordering: .relaxed) > 0)
        await running.stop()
    }
}
