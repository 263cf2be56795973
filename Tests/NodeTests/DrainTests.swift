import Foundation
import Testing
import TestSupport

/// SIGTERM drains a chat-node process that is in the middle of a flood: clients get 1001,
/// every acknowledged message is stored, nothing is stored without its ack reaching the
/// sender, and the process exits (status 0) within 10 s. The checks are in
/// Tests/NodeTests/python/drain_check.py.
@Suite(.enabled(if: ScaleOutRequirements.met, "needs the debug chat-node and .venv"))
struct DrainTests {
    @Test(.timeLimit(.minutes(2)))
    func sigtermMidFloodAcknowledgesWhatItStoredAndExitsCleanly() async throws {
        let folder = try Deployment.temporaryDirectory("drain")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        defer { shards.forEach { $0.stop() } }
        let secret = "drain-secret-0123456789abcdef"
        let environment = [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "JWT_SECRET": secret,
            "HISTORY_MAX": "100000",
        ]
        let nodeA = try ScaleOutNode(id: 1, folder: folder, environment: environment)
        defer { nodeA.child.stop() }
        let nodeB = try ScaleOutNode(id: 2, folder: folder, environment: environment)
        defer { nodeB.child.stop() }
        for node in [nodeA, nodeB] {
            let port = node.port
            try await eventually("node \(node.id) healthy", timeout: .seconds(30)) { await httpStatus(port: port, path: "/health") == 200 }
        }
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/drain_check.py").path
        let (status, output) = try await runProcess(
            ScaleOutStack.python, [script, String(nodeA.port), String(nodeB.port), secret, String(nodeA.child.pid)])
        #expect(status == 0, "drain_check.py failed:\n\(output)\nnode A:\n\(nodeA.logTail)")
        for check in ["closed with 1001", "exited", "every acked message stored", "nothing stored without its ack"] {
            #expect(output.contains("ok \(check)"), "\(check):\n\(output)")
        }
        #expect(nodeA.child.wait(timeout: 5) == 0, "exit status after a drain:\n\(nodeA.logTail)")
    }
}
