import Foundation
import Testing
import TestSupport

/// Degradation under real load, end to end: a chat-node process with three real Valkey
/// shards and a small MAX_CONNECTIONS is pushed into critical by a real run of chat-load
/// (the load sampler's connection ratio), with short recovery timings
/// (`LOAD_SAMPLE_SECONDS=1`, `LOAD_RECOVERY_SECONDS=2`, `LOAD_STEP_SECONDS=2`).
/// Consistency checks only; no timing thresholds.
@Suite(.serialized) struct DegradationEndToEndTests {
    private func python(_ script: String, _ arguments: [String]) async throws -> (Int32, String) {
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let path = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/\(script)").path
        return try await runProcess(python, [path] + arguments)
    }

    @Test func chatLoadPushesTheNodeIntoCriticalAndItRecoversByItself() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try ChatNodeProcess(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "MAX_CONNECTIONS": "40",
            "LOAD_SAMPLE_SECONDS": "1", "LOAD_RECOVERY_SECONDS": "2", "LOAD_STEP_SECONDS": "2", "RATE_LIMIT": "100000",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let mark = FileManager.default.temporaryDirectory.appendingPathComponent("overload-\(node.port).mark").path
        try? FileManager.default.removeItem(atPath: mark)
        let finished = Finished()
        let observer = Task {
            defer { finished.set() }
            return try await python("overload_check.py", [String(node.port), node.secret, mark, "1,2,3,4"])
        }
        try await eventually("observers connected", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: mark) || finished.isSet
        }
        // 3 observers + 36 load connections of MAX_CONNECTIONS 40: the connection ratio
        // reaches 0.975, critical. chat-load sends far more than 5 messages/min per user.
        let (port, secret) = (node.port, node.secret)
        let load = try await onOwnThread {
            try ChatLoadBinary.run([
                "chat", "--url", "ws://127.0.0.1:\(port)/ws", "--secret", secret, "--connections", "36", "--rooms", "4",
                "--rate", "40", "--duration", "12", "--json", "--quiet",
            ], timeout: 120)
        }
        let (status, output) = try await observer.value
        #expect(status == 0, "observer failed:\n\(output)\nnode log:\n\(node.logText.suffix(3000))")
        for check in ["mode critical under load", "typing degraded", "every DM delivered", "room messages delivered at critical",
                      "back to normal by itself", "acked room messages in history"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
        #expect(load.status == 0, "\(load.stderr)")
        let json = try #require(load.json, "not JSON: \(load.stdout)")
        let sent = jsonInt(json, "messages", "sent") ?? -1
        let acked = jsonInt(json, "messages", "acked") ?? -1
        #expect(sent > 0 && acked > 0)
        #expect(acked + (jsonInt(json, "messages", "rejected") ?? -1) == sent, "every send answered: \(json)")
        #expect(jsonInt(json, "messages", "loss") == 0, "every acked room message delivered (paced, not lost)")
        let kept = output.split(separator: "\n").first { $0.hasPrefix("history ") }.flatMap { Int($0.dropFirst(8)) }
        #expect(kept == acked, "every acked chat-load message is in history: \(kept ?? -1) of \(acked)")
        #expect(await httpStatus(port: port, path: "/health") == 200, "the node stayed up")
    }

    @Test func aReaderThatStopsIsCutWithoutGrowingTheNode() async throws {
        let node = try ChatNodeProcess(environment: [
            "STORE": "memory", "HISTORY_MAX": "10", "RATE_LIMIT": "100000", "LOAD_SAMPLE_SECONDS": "3600",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let (status, output) = try await python(
            "slow_reader_check.py", [String(node.port), node.secret, String(node.process.processIdentifier)])
        #expect(status == 0, "slow reader checks failed:\n\(output)")
        for check in ["slow reader cut with 4008", "memory bounded"] {
            #expect(output.contains("ok \(check)"), "missing \(check):\n\(output)")
        }
    }
}
