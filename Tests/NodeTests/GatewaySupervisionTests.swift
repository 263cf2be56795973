import Actors
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// The gateway killed through its supervisor: one kill is one restart, and it serves again.
@Suite struct GatewaySupervisionTests {
    @Test func killedGatewayRestartsOnceAndServesAgain() async throws {
        let port = try FreePort.next()
        let configuration = try NodeConfiguration.load(
            environment: ["PORT": String(port), "HOST": "127.0.0.1", "JWT_SECRET": "test-secret-0123456789abcdef",
                          "STORE": "memory", "LOAD_SAMPLE_SECONDS": "3600", "CONTROL_SOCKET": "/tmp/chat-node-test-\(port).sock"],
            arguments: [])
        let node = try Node.start(configuration: configuration)
        let running = Task { await node.run(handleSignals: false) }
        try await eventually("listening") { await httpStatus(port: port, path: "/health") == 200 }
        let path = ActorPath.node.appending("gateway")
        for round in 1...3 {
            try await node.registry.kill(path)
            try await eventually("serving again") { await httpStatus(port: port, path: "/health") == 200 }
            try await Task.sleep(for: .milliseconds(200))
            #expect(node.registry.restarts(of: path) == round, "one kill, one restart")
        }
        await node.stop()
        #expect(await running.value == 0)
    }
}
