import Foundation
import Rooms
import Testing
import TestSupport
@testable import NodeKit

/// Degradation as clients see it, with the level pinned as an operator does: `mode` events, `degraded` answers, messages still delivered.
@Suite struct DegradationTests {
    @Test func pinnedCriticalShedsFeaturesAndUnpinRestoresThem() async throws {
        let port = try FreePort.next()
        let secret = "test-secret-0123456789abcdef"
        let configuration = try NodeConfiguration.load(
            environment: ["PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": secret, "STORE": "memory", "LOAD_SAMPLE_SECONDS": "3600",
                          "CONTROL_SOCKET": "/tmp/chat-node-test-\(port).sock"],
            arguments: [])
        let node = try Node.start(configuration: configuration)
        let running = Task { await node.run(handleSignals: false) }
        let mark = FileManager.default.temporaryDirectory.appendingPathComponent("degradation-\(port).mark").path
        try? FileManager.default.removeItem(atPath: mark)
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/degradation_check.py").path
        try await eventually("listening") { await httpStatus(port: port, path: "/health") == 200 }
        let finished = Finished()
        let client = Task {
            defer { finished.set() }
            return try await runProcess(python, [script, String(port), secret, mark])
        }
        try await eventually("two sessions") {
            await withCheckedContinuation { done in node.loop.execute { done.resume(returning: node.chat.sessionCount == 2) } }
        }
        node.degradation.pin(.critical)
        try await eventually("critical checks done", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: mark) || finished.isSet
        }
        node.degradation.unpin()
        let (status, output) = try await client.value
        #expect(status == 0, "degradation checks failed:\n\(output)")
        for check in ["mode critical", "degraded features", "messages delivered", "mode on connect", "back to normal"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
        #expect(node.degradation.changes >= 2)
        await node.stop()
        _ = await running.value
    }
}

/// Set once, read from anywhere.
final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func set() { lock.lock(); done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
}
