import Foundation
import Testing
import TestSupport

/// Where chat-load may point: loopback only unless `--allow-remote`; and a real chat-node
/// for what it implements today (authenticated WebSockets, no rooms yet).
@Suite struct ChatLoadTargetTests {
    @Test func refusesARemoteTargetWithoutSendingAnything() throws {
        for arguments in [
            ["chat", "--url", "ws://10.0.0.1/ws"],
            ["idle", "--url", "ws://192.0.2.7:8080/ws", "--connections", "5"],
            ["chat", "--url", "ws://127.0.0.1:9/ws", "--token-url", "http://10.0.0.1/dev/token"],
            ["chat", "--url", "ws://127.0.0.1:9/ws", "--metrics-url", "http://10.0.0.1/metrics"],
        ] {
            let output = try ChatLoadBinary.run(arguments, timeout: 10)
            #expect(output.status == 2, "\(arguments)")
            #expect(output.stderr.contains("not a loopback address"), "\(output.stderr)")
            #expect(output.stderr.contains("--allow-remote"))
            // Refused before any connection or token request: no summary, no progress, at once.
            #expect(output.stdout.isEmpty)
            #expect(!output.stderr.contains("sending"))
            #expect(output.seconds < 5)
        }
    }

    @Test func noListenerMeansEveryConnectionFailsAndTheRunEnds() throws {
        let port = try FreePort.next()
        let output = try ChatLoadBinary.run([
            "chat", "--url", "ws://127.0.0.1:\(port)/ws", "--connections", "10", "--duration", "1", "--json", "--quiet",
        ])
        #expect(output.status == 1)
        let json = try #require(output.json, "\(output.stdout)\(output.stderr)")
        #expect(jsonValue(json, "ending") as? String == "no_connection")
        #expect(jsonInt(json, "connections", "failed") == 10)
        #expect(jsonInt(json, "reasons", "connect") == 10)
    }

    @Test func idleHoldsTwoHundredAuthenticatedConnectionsOnTheRealNode() async throws {
        let port = try FreePort.next()
        let secret = "chat-load-test-secret-0123456789"
        let node = Process()
        node.executableURL = PackageRoot.url.appendingPathComponent(".build/debug/chat-node")
        node.environment = [
            "PORT": String(port), "HOST": "127.0.0.1", "DEV_LOGIN": "1", "STORE": "memory", "JWT_SECRET": secret,
            "LOG_LEVEL": "error", "CONTROL_SOCKET": "/tmp/chat-load-test-\(port).sock",
        ]
        node.standardOutput = FileHandle.nullDevice
        node.standardError = FileHandle.nullDevice
        try node.run()
        defer {
            if node.isRunning {
                node.terminate()
                node.waitUntilExit()
            }
        }
        try await eventually("chat-node listening") { PeerServer.accepts(port) }

        let minted = try ChatLoadBinary.run([
            "idle", "--url", "ws://127.0.0.1:\(port)/ws", "--connections", "200", "--duration", "1", "--secret", secret,
            "--pid", String(node.processIdentifier), "--json", "--quiet",
        ])
        #expect(minted.status == 0, "\(minted.stderr)")
        let json = try #require(minted.json, "\(minted.stdout)\(minted.stderr)")
        #expect(jsonInt(json, "connections", "opened") == 200)
        #expect(jsonInt(json, "connections", "failed") == 0)
        #expect(jsonInt(json, "connections", "dropped") == 0)
        #expect(jsonValue(json, "node", "source") as? String == "proc")

        // The same with tokens from /dev/token.
        let fetched = try ChatLoadBinary.run([
            "idle", "--url", "ws://127.0.0.1:\(port)/ws", "--connections", "50", "--duration", "0.5",
            "--token-url", "http://127.0.0.1:\(port)/dev/token", "--json", "--quiet",
        ])
        #expect(jsonInt(fetched.json, "connections", "opened") == 50, "\(fetched.stdout)\(fetched.stderr)")

        // A wrong secret: every upgrade refused with 401, counted as failed.
        let forged = try ChatLoadBinary.run([
            "idle", "--url", "ws://127.0.0.1:\(port)/ws", "--connections", "5", "--duration", "0.5",
            "--secret", "not-the-secret-of-this-node", "--json", "--quiet",
        ])
        #expect(jsonInt(forged.json, "connections", "failed") == 5)
        #expect(jsonInt(forged.json, "reasons", "http_401") == 5)
    }
}
