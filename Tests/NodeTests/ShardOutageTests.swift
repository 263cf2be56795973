import Foundation
import Testing
import TestSupport

/// A Valkey shard killed under steady traffic and restarted after 3 s: the node stays up,
/// acks resume, every acked message is in history, and a room on another shard is acked
/// all through the outage.
@Suite struct ShardOutageTests {
    @Test func shardKilledAndRestartedLosesNoAckedMessage() async throws {
        // Shard 1 persists every write (AOF, fsync always), so what it acknowledged before
        // the SIGKILL is still there after the restart; what the node queued meanwhile must
        // arrive too. (A shard without persistence comes back empty: that is the epoch/gap
        // case, tested in ChatProtocolEndToEndTests.)
        let shards = try [ValkeyServer(arguments: ["--appendonly", "yes", "--appendfsync", "always"]), ValkeyServer(), ValkeyServer()]
        let node = try ChatNodeProcess(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "RATE_LIMIT": "100000",
            "LOAD_SAMPLE_SECONDS": "3600",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/outage_traffic.py").path
        let port = node.port
        let secret = node.secret
        let traffic = Task { try await runProcess(python, [script, String(port), secret, "7"]) }
        try await Task.sleep(for: .seconds(1.5))
        shards[0].kill()
        try await Task.sleep(for: .seconds(3))
        try shards[0].start()
        let (status, output) = try await traffic.value
        #expect(status == 0, "traffic failed:\n\(output)")
        #expect(node.process.isRunning, "the node must survive the outage")
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(output)")
        #expect(report["unacked"] as? Int == 0, "acks resume after the restart")
        #expect((report["acked_during_outage"] as? Int ?? 0) > 0, "the other shard's room was acked during the outage")
        let rooms = report["rooms"] as? [String: [String: [String]]] ?? [:]
        for room in ["1", "1500"] {
            let acked = Set(rooms[room]?["acked"] ?? [])
            #expect(!acked.isEmpty)
            #expect(acked.isSubset(of: Set(rooms[room]?["history"] ?? [])), "room \(room): acked messages missing from history")
        }
    }
}
