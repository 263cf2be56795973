import Foundation
import Testing
import TestSupport

/// ops/healthcheck.sh (the image's HEALTHCHECK) against a real chat-node and Valkey.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Deployment.chatNode), "chat-node not built (swift build --build-tests)"),
       .timeLimit(.minutes(2)))
struct DeploymentHealthCheckTests {
    private func probe(port: Int, state: String, pid: Int32, watchdog: Int = 3) throws -> Deployment.Result {
        try Deployment.run(Deployment.path("ops/healthcheck.sh"), [], environment: [
            "PORT": String(port), "CHAT_HEALTH_TIMEOUT": "1", "CHAT_HEALTH_WATCHDOG": String(watchdog),
            "CHAT_HEALTH_KILL_GRACE": "1", "CHAT_HEALTH_STATE": state, "CHAT_NODE_PID": String(pid),
        ], timeout: 30)
    }

    @Test func healthyDegradedAndHungNode() async throws {
        let valkey = try ValkeyServer()
        defer { valkey.stop() }
        let node = try NodeProcess(port: try FreePort.next(), environment: [
            "DEV_LOGIN": "1", "VALKEY_HOSTS": valkey.address,
        ])
        defer { node.stop() }
        let folder = try Deployment.temporaryDirectory("health")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = folder + "/failures"

        try await eventually("node healthy") { Deployment.get(port: node.port, "/health").status == 200 }
        let healthy = try probe(port: node.port, state: state, pid: node.pid)
        #expect(healthy.status == 0, "\(healthy)")
        #expect(healthy.stdout.contains("200"))

        // Valkey gone: /health answers 503. Unhealthy, but an answer: the watchdog leaves it.
        valkey.kill()
        try await eventually("node reports no storage") { Deployment.get(port: node.port, "/health").status == 503 }
        for _ in 0..<4 {
            let degraded = try probe(port: node.port, state: state, pid: node.pid)
            #expect(degraded.status == 1, "\(degraded)")
            #expect(degraded.stdout.contains("503"), "\(degraded)")
        }
        #expect(node.isRunning, "the watchdog stopped a node that answered 503")

        // Hung (SIGSTOP: the kernel still accepts connections, nobody answers): after three
        // probes without an answer the watchdog stops the node (SIGTERM, then SIGKILL).
        kill(node.pid, SIGSTOP)
        let first = try probe(port: node.port, state: state, pid: node.pid)
        #expect(first.status == 1 && first.stdout.contains("no answer"), "\(first)")
        _ = try probe(port: node.port, state: state, pid: node.pid)
        #expect(node.isRunning, "stopped before the third probe")
        let third = try probe(port: node.port, state: state, pid: node.pid)
        #expect(third.status == 1)
        #expect(third.stdout.contains("watchdog: 3 probes without an answer"), "\(third)")
        try await eventually("node stopped by the watchdog") { !node.isRunning }
        #expect((node.child.poll() ?? 0) > 128, "killed by a signal")
    }

    @Test func noWatchdogByDefault() async throws {
        // Nothing listens: without CHAT_HEALTH_WATCHDOG the probe only reports.
        let port = try FreePort.next()
        let folder = try Deployment.temporaryDirectory("health-off")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for _ in 0..<4 {
            let result = try probe(port: port, state: folder + "/failures", pid: 2_147_483_646, watchdog: 0)
            #expect(result.status == 1)
            #expect(!result.stdout.contains("watchdog"), "\(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/failures"))
    }
}
