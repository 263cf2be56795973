@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport
@testable import Gateway

/// The gateway over real sockets, driven by an independent client (Python `websockets`)
/// and by raw bytes.
@Suite struct GatewayEndToEndTests {
    /// Runs the Python `websockets` client's checks (Tests/GatewayTests/python) against a
    /// running gateway; every check must pass.
    static func expectPythonClientChecks(_ running: RunningGateway) async throws {
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/GatewayTests/python/ws_client_check.py").path
        let (status, text) = try await runProcess(python, [script, String(running.port)])
        #expect(status == 0, "python client failed:\n\(text)")
        for check in ["plain", "deflate", "fragments", "broadcast", "server close", "too big", "refused 401"] {
            #expect(text.contains("ok \(check)"), "missing check \(check):\n\(text)")
        }
    }

    @Test func independentPythonClientPassesItsChecks() async throws {
        let running = try await RunningGateway.start()
        try await Self.expectPythonClientChecks(running)
        await running.stop()
    }

    @Test func plainHTTPRoutesAndKeepAlive() async throws {
        let running = try await RunningGateway.start()
        let client = try RawClient(port: running.port)
        client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        let (bytes, _) = client.read { String(decoding: $0, as: UTF8.self).contains("404") }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.contains("hello"))
        #expect(text.contains("HTTP/1.1 404"))
        await running.stop()
    }

    @Test func wrongWebSocketVersionGets426() async throws {
        let running = try await RunningGateway.start()
        let client = try RawClient(port: running.port)
        client.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        let (bytes, _) = client.read { RawClient.headEnd(in: $0) != nil }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 426"))
        #expect(text.lowercased().contains("sec-websocket-version: 13"))
        await running.stop()
    }

    @Test func unmaskedClientFrameClosesWith1002() async throws {
        let running = try await RunningGateway.start()
        let client = try RawClient(port: running.port)
        let (status, _) = client.upgrade()
        #expect(status == "HTTP/1.1 101 Switching Protocols")
        client.send([0x81, 0x02, 0x68, 0x69])  // unmasked "hi"
        let (bytes, _) = client.read { $0.count >= 4 }
        #expect(bytes.count >= 4 && bytes[0] == 0x88 && bytes[2] == 0x03 && bytes[3] == 0xEA)  // close 1002
        await running.stop()
    }

    @Test func invalidUTF8ClosesWith1007() async throws {
        let running = try await RunningGateway.start()
        let client = try RawClient(port: running.port)
        _ = client.upgrade()
        let mask: [UInt8] = [1, 2, 3, 4]
        let payload: [UInt8] = [0xC3, 0x28]
        client.send([0x81, 0x80 | 2] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        let (bytes, _) = client.read { $0.count >= 4 }
        #expect(bytes.count >= 4 && bytes[0] == 0x88 && bytes[2] == 0x03 && bytes[3] == 0xEF)  // close 1007
        await running.stop()
    }

    @Test func oversizedHeadersGet431AndSlowlorisIsCut() async throws {
        let running = try await RunningGateway.start { $0.requestTimeoutSeconds = 1 }
        let big = try RawClient(port: running.port)
        big.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 9000))\r\n\r\n")
        let (bytes, _) = big.read { RawClient.headEnd(in: $0) != nil }
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 431"))

        let slow = try RawClient(port: running.port)
        slow.send("GET /hello HTTP/1.1\r\nHo")
        let (_, eof) = slow.read()
        #expect(eof, "a request that never completes is closed")
        // Others are still served.
        let other = try RawClient(port: running.port)
        other.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: other.read().bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        await running.stop()
    }

    @Test func abruptDropsAndGarbageLeakNoDescriptors() async throws {
        let running = try await RunningGateway.start()
        let before = openSocketCount(port: running.port)
        // 1,000 WebSocket connections dropped without a close frame.
        var clients: [RawClient] = []
        for _ in 0..<1000 {
            let client = try RawClient(port: running.port)
            client.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            clients.append(client)
        }
        try await eventually("1,000 upgrades") { running.application.opened.withLock { $0 } == 1000 }
        // Random bytes after the handshake on some of them.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for client in clients.prefix(200) {
            var junk: [UInt8] = []
            for _ in 0..<64 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                junk.append(UInt8(truncatingIfNeeded: seed >> 33))
            }
            client.send(junk)
        }
        clients.removeAll()
        try await eventually("all closed") { await running.gateway.connectionCount == 0 }
        #expect(running.application.closed.withLock { $0 } == 1000)
        // The node still serves.
        let probe = try RawClient(port: running.port)
        probe.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: probe.read().bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // Counted per port (the gateway's sockets only): tests running alongside open descriptors too.
        try await eventually("descriptors back") {
            await running.gateway.connectionCount == 0 && openSocketCount(port: running.port) == before
        }
        await running.stop()
    }

    @Test func slowConsumerIsClosedWith4008AndMemoryStaysBounded() async throws {
        let running = try await RunningGateway.start { $0.defaultBudget = 4096 }
        let reader = try RawClient(port: running.port)
        _ = reader.upgrade()
        // Never read from `reader`; flood it through broadcasts sent by another client.
        let sender = try RawClient(port: running.port)
        _ = sender.upgrade()
        try await eventually("both open") { running.application.opened.withLock { $0 } == 2 }
        let text = Array("broadcast:\(String(repeating: "z", count: 8000))".utf8)
        let mask: [UInt8] = [9, 8, 7, 6]
        var frame: [UInt8] = [0x81, 0x80 | 126, UInt8(text.count >> 8), UInt8(text.count & 0xFF)] + mask
        frame += text.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        for _ in 0..<400 { sender.send(frame) }
        try await eventually("slow consumer cut") { running.gateway.counters.slowConsumers.load(ordering: .relaxed) >= 1 }
        await running.stop()
    }
}
