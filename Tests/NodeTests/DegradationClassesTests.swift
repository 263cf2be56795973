import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// What each level does to room traffic and to new connections, as clients see it, on an
/// in-process node: pacing by priority class (pacing_check.py) and the admission queue
/// (admission_check.py).
@Suite struct DegradationClassesTests {
    let secret = "test-secret-0123456789abcdef"

    func startNode(_ extra: [String: String]) async throws -> (Node, Task<Int32, Never>, Int, String) {
        let port = try FreePort.next()
        let socket = "/tmp/chat-node-test-\(port).sock"
        let configuration = try NodeConfiguration.load(
            environment: ["PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": secret, "STORE": "memory",
                          "LOAD_SAMPLE_SECONDS": "3600", "CONTROL_SOCKET": socket].merging(extra) { $1 },
            arguments: [])
        let node = try Node.start(configuration: configuration)
        let running = Task { await node.run(handleSignals: false) }
        try await eventually("listening") { await httpStatus(port: port, path: "/health") == 200 }
        return (node, running, port, socket)
    }

    func python(_ script: String, _ arguments: [String]) async throws -> (Int32, String) {
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let path = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/\(script)").path
        return try await runProcess(python, [path] + arguments)
    }

    @Test func normalIsPacedAtHighAndRoomTrafficAtCritical() async throws {
        let (node, running, port, socket) = try await startNode([:])
        let (status, output) = try await python("pacing_check.py", [String(port), secret, socket])
        #expect(status == 0, "pacing checks failed:\n\(output)")
        for check in ["normal paced at high", "room traffic paced at critical", "nothing paced at normal"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
        await node.stop()
        _ = await running.value
    }

    @Test func upgradesWaitAtTheLimitAndAreRefusedWithRetryAfter() async throws {
        let (node, running, port, _) = try await startNode(
            ["MAX_CONNECTIONS": "2", "ADMISSION_QUEUE": "1", "ADMISSION_WAIT_MS": "1500"])
        let (status, output) = try await python("admission_check.py", [String(port), secret])
        #expect(status == 0, "admission checks failed:\n\(output)")
        for check in ["upgrade waits at the limit", "full queue answers 503 with Retry-After", "http served while upgrades wait",
                      "waiting upgrade admitted when a connection closed", "wait runs out with 503"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
        await node.stop()
        _ = await running.value
    }
}
