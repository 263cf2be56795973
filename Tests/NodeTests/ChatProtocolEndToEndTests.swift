import Foundation
import Testing
import TestSupport

/// Every operation of the wire contract through a running chat-node, driven by the
/// independent Python `websockets` client (Tests/NodeTests/python/chat_protocol_check.py).
@Suite struct ChatProtocolEndToEndTests {
    static let checks = [
        "join", "send ack msg", "cid dedupe", "history paging", "resume since and gap", "dm", "typing", "read",
        "edit", "presence", "errors keep the connection", "chats", "binary frames", "rate limit", "rejoin once",
        "jwt forgeries 401",
    ]

    /// Runs the Python checks against a node started with `environment`.
    static func runChecks(environment: [String: String]) async throws -> (status: Int32, output: String) {
        let node = try ChatNodeProcess(environment: environment)
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/chat_protocol_check.py").path
        return try await runProcess(python, [script, String(node.port), node.secret])
    }

    @Test func everyOperationWithThreeValkeyShards() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let (status, output) = try await Self.runChecks(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","),
        ])
        #expect(status == 0, "python checks failed:\n\(output)")
        for check in Self.checks { #expect(output.contains("ok \(check)\n"), "missing \(check):\n\(output)") }
        // Rooms 1, 5, 7, 9 live on shard 1; DMs and users on shard 3.
        #expect(try shards[0].command("EXISTS", "room:{1}:msgs").contains(":1"))
        #expect(try shards[2].command("EXISTS", "dm:{101:202}:msgs").contains(":1"))
        #expect(try shards[1].command("DBSIZE").contains(":0"))
    }

    @Test func everyOperationOverAValkeyCluster() async throws {
        let cluster = try await ValkeyClusterServers()
        let (status, output) = try await Self.runChecks(environment: [
            "STORE": "valkey", "VALKEY_MODE": "cluster", "VALKEY_HOSTS": cluster.hosts,
        ])
        #expect(status == 0, "python checks failed:\n\(output)")
        for check in Self.checks { #expect(output.contains("ok \(check)\n"), "missing \(check):\n\(output)") }
        // The room's history lives on the master of its slot, nowhere else.
        let holders = try cluster.servers.filter { try $0.command("EXISTS", "room:{1}:msgs").contains(":1") }
        #expect(holders.count == 1)
    }

    @Test func aWipedShardIsReportedAsAGap() async throws {
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        let node = try ChatNodeProcess(environment: [
            "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","),
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/resume_check.py").path
        let (status, output) = try await runProcess(python, [script, String(node.port), node.secret, "before"])
        #expect(status == 0, "\(output)")
        let before = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String] ?? [:]
        let epoch = try #require(before["epoch"])
        let id = try #require(before["id"])
        // Valkey restarted without persistence: every key is gone.
        for shard in shards { _ = try shard.command("FLUSHALL") }
        let (again, joined) = try await runProcess(python, [script, String(node.port), node.secret, "after", epoch, id])
        #expect(again == 0, "\(joined)")
        let frame = try JSONSerialization.jsonObject(with: Data(joined.utf8)) as? [String: Any] ?? [:]
        #expect(frame["gap"] as? Bool == true)
        #expect(frame["epoch"] as? String != epoch)
    }

    @Test func everyOperationWithTheMemoryStore() async throws {
        let (status, output) = try await Self.runChecks(environment: ["STORE": "memory"])
        #expect(status == 0, "python checks failed:\n\(output)")
        for check in Self.checks { #expect(output.contains("ok \(check)\n"), "missing \(check):\n\(output)") }
    }
}

/// A chat-node process on a free loopback port with a known JWT secret.
final class ChatNodeProcess: @unchecked Sendable {
    let port: Int
    let secret = "test-secret-0123456789abcdef"
    let process = Process()
    let log: URL

    init(environment: [String: String]) throws {
        port = try FreePort.next()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("chat-node-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = PackageRoot.url.appendingPathComponent(".build/debug/chat-node")
        var env = [
            "PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": secret, "DEV_LOGIN": "1", "LOG_LEVEL": "warn",
            "WEB_ROOT": PackageRoot.url.appendingPathComponent("web").path,
            "CONTROL_SOCKET": "/tmp/chat-node-test-\(port).sock",
        ]
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        ChildProcesses.track(process.processIdentifier)
    }

    func waitUntilHealthy() async throws {
        let port = self.port
        try await eventually("node healthy") { await httpStatus(port: port, path: "/health") == 200 }
    }

    /// What the node logged.
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops the node: SIGTERM (a drain), then SIGKILL if it has not exited within 5 s
    /// (children of the test runner may start with SIGTERM blocked).
    func stop() {
        if process.isRunning {
            process.terminate()
            for _ in 0..<100 where process.isRunning { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        ChildProcesses.forget(process.processIdentifier)
    }
}
