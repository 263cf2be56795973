@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport

/// The uWebSockets peer of bench/peers (`uws-peer.c`, linked by `build-uws-peer` against
/// the uWebSockets library in PyPI's socketify) on a free loopback port.
enum UWSPeerProcess {
    static var library: String? {
        let packages = PackageRoot.url.appendingPathComponent(".venv/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: packages.path)) ?? []
        return versions.filter { $0.hasPrefix("python3") }.map {
            packages.appendingPathComponent("\($0)/site-packages/socketify/libsocketify_linux_amd64.so").path
        }.first { FileManager.default.fileExists(atPath: $0) }
    }

    static var isAvailable: Bool {
        library != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc")
            && FileManager.default.fileExists(atPath: "/usr/include/uv.h")
    }

    static let skipReason: Comment =
        "needs socketify in .venv (requirements.d/bench.txt), gcc and libuv1-dev (scripts/apt.d/bench.txt): scripts/setup"

    /// Builds the peer (bench/peers/build-uws-peer) and returns the binary's path.
    static func build() async throws -> String {
        let script = PackageRoot.url.appendingPathComponent("bench/peers/build-uws-peer").path
        let (status, output) = try await runProcess("/bin/bash", [script])
        guard status == 0, let path = output.split(separator: "\n").last else {
            throw TestSupportError.io("build-uws-peer failed: \(output)")
        }
        return PackageRoot.url.appendingPathComponent(String(path)).path
    }

    /// Starts the built peer on a free port.
    static func start(binary: String) throws -> PeerServer {
        try PeerServer(executable: binary, name: "uws peer")
    }
}

@Suite(.serialized, .enabled(if: UWSPeerProcess.isAvailable, UWSPeerProcess.skipReason))
struct UWSPeerTests {
    private static var python: String {
        ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
    }

    /// join/joined, send/ack/msg (sub as sender, text verbatim, no echo), not_member,
    /// bad_request, leave/left and a 401 without a token, checked by the Python client.
    @Test func speaksTheSubsetChatLoadUses() async throws {
        let peer = try UWSPeerProcess.start(binary: try await UWSPeerProcess.build())
        defer { peer.stop() }
        let script = PackageRoot.url.appendingPathComponent("bench/peers/check_peer.py").path
        let (status, output) = try await runProcess(Self.python, [script, String(peer.port)])
        #expect(status == 0, "\(output)")
        #expect(output.contains("peer ok"), "\(output)")
    }

    /// chat-load against it: every send acknowledged, every expected delivery arrived.
    @Test func chatLoadGetsEveryAckAndDelivery() async throws {
        let peer = try UWSPeerProcess.start(binary: try await UWSPeerProcess.build())
        defer { peer.stop() }
        let url = peer.url, pid = peer.pid
        let output = try await onOwnThread {
            try ChatLoadBinary.run([
                "chat", "--url", url, "--connections", "60", "--rooms", "6", "--rate", "300", "--duration", "2",
                "--pid", String(pid), "--json", "--quiet",
            ])
        }
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(output.json, "not JSON: \(output.stdout)")
        #expect(jsonInt(json, "connections", "opened") == 60)
        #expect(jsonInt(json, "connections", "joined") == 60)
        let sent = try #require(jsonInt(json, "messages", "sent"))
        #expect(sent >= 400 && sent <= 800)
        #expect(jsonInt(json, "messages", "acked") == sent)
        // Each message to the 9 other members of its room, none to the sender.
        #expect(jsonInt(json, "messages", "expected") == sent * 9)
        #expect(jsonInt(json, "messages", "delivered") == sent * 9)
        #expect(jsonInt(json, "messages", "echoes") == 0)
        #expect(jsonInt(json, "messages", "extra") == 0)
        #expect((jsonInt(json, "node", "rss_end") ?? 0) > 1_000_000)
    }
}
