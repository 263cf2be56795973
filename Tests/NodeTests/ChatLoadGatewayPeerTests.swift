import Foundation
import Testing

/// chat-load against its own trivial Gateway peer (`chat-load peer`), in JSON and in the
/// compact binary layout: every message accounted for.
@Suite struct ChatLoadGatewayPeerTests {
    private func run(_ extra: [String]) throws -> [String: Any]? {
        let peer = try GatewayPeerProcess.start()
        defer { peer.stop() }
        let output = try ChatLoadBinary.run([
            "chat", "--url", peer.url, "--connections", "40", "--rooms", "4", "--rate", "100", "--duration", "2",
            "--json", "--quiet",
        ] + extra)
        #expect(output.status == 0, "\(output.stderr)")
        return output.json
    }

    private func expectComplete(_ json: [String: Any]?) {
        #expect(jsonInt(json, "connections", "joined") == 40)
        let sent = jsonInt(json, "messages", "sent") ?? 0
        #expect(sent > 100)
        #expect(jsonInt(json, "messages", "acked") == sent)
        #expect(jsonInt(json, "messages", "expected") == sent * 9)
        #expect(jsonInt(json, "messages", "delivered") == sent * 9)
        #expect(jsonInt(json, "messages", "loss") == 0)
    }

    @Test func jsonFrames() throws {
        expectComplete(try run([]))
    }

    @Test func compactBinaryFrames() throws {
        let json = try run(["--binary", "--size", "200"])
        expectComplete(json)
        #expect(jsonInt(json, "messages", "foreign") == 0)
    }
}
