@preconcurrency import Glibc
import Actors
import Foundation
import Gateway
import Testing
import TestSupport
@testable import NodeKit

/// The built `chatctl` (.build/debug/chatctl) against an in-process node.
@Suite struct ControlChatctlTests {
    static var chatctl: String { PackageRoot.url.appendingPathComponent(".build/debug/chatctl").path }

    /// Runs chatctl with `arguments` and `environment`; exit code, stdout, stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        try await onOwnThread { try runBlocking(arguments, environment: environment) }
    }

    static func runBlocking(_ arguments: [String], environment: [String: String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chatctl)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func treeIsDrawnWithBranchesStatusRestartsAndMailbox() async throws {
        let node = try await ControlTestNode()
        _ = try await node.client().request(["cmd": "kill", "path": "/node/control"])
        let control = ActorPath.node.appending("control")
        try await eventually("control back") {
            node.node.registry.status(of: control) == .running && node.node.registry.restarts(of: control) == 1
        }
        let (status, output, errors) = try await Self.run(["tree"], environment: ["CONTROL_SOCKET": node.socketPath])
        #expect(status == 0, "\(errors)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("/node  running  restarts=0  mailbox=0  up ") == true, "\(output)")
        #expect(lines.contains { $0.hasPrefix("├── shards  running  restarts=0  mailbox=0") })
        #expect(lines.contains { $0.hasPrefix("├── rooms  running  restarts=0  mailbox=0") })
        #expect(lines.contains { $0.hasPrefix("├── gateway  running  restarts=0  mailbox=0") }, "\(output)")
        #expect(lines.last?.hasPrefix("└── control  running  restarts=1  mailbox=1") == true, "\(output)")
        await node.stop()
    }

    @Test func inspectShowsARoomWithItsSubscribersAndRate() async throws {
        let node = try await ControlTestNode()
        let peer = try PythonPeer(script: "control_peer.py", arguments: [String(node.port), node.secret, "42"])
        #expect(try await peer.next()["event"] as? String == "joined")
        peer.send("send hello")
        _ = try await peer.next()
        try await node.waitForRoom(42)
        let (status, output, errors) = try await Self.run(["--socket", node.socketPath, "inspect", "/node/rooms/42"])
        #expect(status == 0, "\(errors)")
        for expected in ["path", "/node/rooms/42", "status", "running", "restarts", "subscribers=2", "room:", "messages/min", "hot"] {
            #expect(output.contains(expected), "missing \(expected) in:\n\(output)")
        }
        let line = output.split(separator: "\n").first { $0.contains("messages/min") }.map(String.init) ?? ""
        #expect(line.hasSuffix(" 1"), "\(line)")
        // --json prints the node's reply as it came.
        let (_, json, _) = try await Self.run(["--json", "--socket", node.socketPath, "inspect", "/node/rooms/42"])
        #expect(try RawControlClient.object(json.trimmingCharacters(in: .whitespacesAndNewlines))["ok"] as? Bool == true)
        peer.send("quit")
        await node.stop()
    }

    @Test func otherCommandsPrintTheirResults() async throws {
        let node = try await ControlTestNode(environment: ["CONTROL_TOKEN": "tok-123"])
        let env = ["CONTROL_SOCKET": node.socketPath, "CONTROL_TOKEN": "tok-123"]
        var result = try await Self.run(["level", "pin", "high"], environment: env)
        #expect(result.0 == 0 && result.1.contains("level high (pinned; measured normal)"), "\(result)")
        result = try await Self.run(["level", "unpin"], environment: env)
        #expect(result.0 == 0 && result.1.contains("level normal (measured)"), "\(result)")
        result = try await Self.run(["stats"], environment: env)
        #expect(result.0 == 0 && result.1.contains("connections") && result.1.contains("memory"), "\(result)")
        result = try await Self.run(["rooms", "--by", "rate"], environment: env)
        #expect(result.0 == 0 && result.1.contains("0 of 0 rooms, by rate"), "\(result)")
        result = try await Self.run(["conns"], environment: env)
        #expect(result.0 == 0 && result.1.contains("PENDING"), "\(result)")
        result = try await Self.run(["broadcast", "hello", "everyone"], environment: env)
        #expect(result.0 == 0 && result.1.contains("sent to 0 connections"), "\(result)")
        result = try await Self.run(["top", "--count", "2", "--interval", "0.2"], environment: env)
        #expect(result.0 == 0 && result.1.components(separatedBy: "level normal").count == 3, "\(result)")
        result = try await Self.run(["kill", "/node/rooms/12345"], environment: env)
        #expect(result.0 == 1 && result.2.contains("no actor at /node/rooms/12345"), "\(result)")
        // Without the token: refused, with a hint.
        result = try await Self.run(["tree"], environment: ["CONTROL_SOCKET": node.socketPath])
        #expect(result.0 == 1 && result.2.contains("unauthorized"), "\(result)")
        result = try await Self.run(["drain"], environment: env)
        #expect(result.0 == 0 && result.1.contains("draining"), "\(result)")
        await node.stop()
    }

    @Test func clearMessagesWhenTheNodeIsNotThere() async throws {
        let folder = "/tmp/ctl-none-\(UInt32.random(in: 0...UInt32.max))"
        var result = try await Self.run(["tree"], environment: ["CONTROL_SOCKET": folder + "/control.sock"])
        #expect(result.0 == 3)
        #expect(result.2.contains("no control socket at \(folder)/control.sock: is chat-node running?"), "\(result)")
        // A socket file left by a crashed node: nobody listens.
        let stale = "/tmp/ctl-stale-\(UInt32.random(in: 0...UInt32.max)).sock"
        let listener = try ControlListener(path: stale)
        Syscall.close(listener.fd)  // closed without removing the file, as a crash leaves it
        defer { unlink(stale) }
        result = try await Self.run(["stats"], environment: ["CONTROL_SOCKET": stale])
        #expect(result.0 == 3)
        #expect(result.2.contains("nothing listens on \(stale): chat-node is not running"), "\(result)")
        result = try await Self.run(["frobnicate"], environment: ["CONTROL_SOCKET": folder + "/control.sock"])
        #expect(result.0 == 2 && result.2.contains("unknown command frobnicate"))
        result = try await Self.run(["inspect"], environment: ["CONTROL_SOCKET": folder + "/control.sock"])
        #expect(result.0 == 2)
    }
}
