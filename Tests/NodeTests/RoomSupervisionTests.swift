import Actors
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// A room actor killed in the middle of traffic: its subscribers keep receiving after the
/// restart, and no acked message is lost.
@Suite struct RoomSupervisionTests {
    @Test func killedRoomComesBackWithoutLosingAckedMessages() async throws {
        let port = try FreePort.next()
        let secret = "test-secret-0123456789abcdef"
        let configuration = try NodeConfiguration.load(
            environment: ["PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": secret, "STORE": "memory",
                          "RATE_LIMIT": "100000", "LOAD_SAMPLE_SECONDS": "3600",
                          "CONTROL_SOCKET": "/tmp/chat-node-test-\(port).sock"],
            arguments: [])
        let node = try Node.start(configuration: configuration)
        let running = Task { await node.run(handleSignals: false) }
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/room_traffic.py").path
        try await eventually("listening") { await httpStatus(port: port, path: "/health") == 200 }
        let traffic = Task { try await runProcess(python, [script, String(port), secret, "150"]) }
        let roomPath = ActorPath.node.appending("rooms").appending("1")
        try await eventually("room 1 running") { node.registry.status(of: roomPath) == .running }
        var kills = 0
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(80))
            if (try? await node.registry.kill(roomPath)) != nil { kills += 1 }
        }
        let (status, output) = try await traffic.value
        #expect(status == 0, "traffic script failed:\n\(output)")
        #expect(kills >= 1)
        #expect((node.registry.restarts(of: roomPath) ?? 0) >= kills)
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String]] ?? [:]
        let acked = Set(report["acked"] ?? [])
        #expect(acked.count == 150)
        #expect(acked.isSubset(of: Set(report["received"] ?? [])), "a live subscriber missed acked messages")
        #expect(acked.isSubset(of: Set(report["history"] ?? [])), "acked messages missing from history")
        await node.stop()
        #expect(await running.value == 0)
    }
}
