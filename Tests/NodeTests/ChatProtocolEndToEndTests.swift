import Foundation
import Testing
import TestSupport

/// Every operation of the wire contract through a running chat-node, driven by the
/// independent Python `websockets` client (Tests/NodeTests/python/chat_protocol_check.py).
@Suite struct ChatProtocolEndToEndTests {
    static let checks = [
        "join", "send ack msg", "cid dedupe", "history paging", "resume since and gap", "dm", "typing", "read",
        "edit", "presence", "errors keep the connection", "chats", "binary frames", "rate limit", "jwt forgeries 401",
    ]

    /// Runs the Python checks against a node started with `environment`.
    static func runChecks(environment: [String: String]) async throws -> (status: Int32, output: String) {
        let node = try ChatNodeProcess(environment: environment)
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/chat_protocol_check.py").path
        let port = node.port, secret = node.secret
        return try await offPool { try runProcess(python, [script, String(port), secret]) }
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
    }

    func waitUntilHealthy() async throws {
        let port = self.port
        try await eventually("node healthy") { await HTTPTestClient.get(port: port, path: "/health")?.status == 200 }
    }

    /// What the node logged.
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Runs a program to completion and returns its exit status and combined output.
func runProcess(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
