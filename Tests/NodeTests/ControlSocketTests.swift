@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// The control socket as a transport: file mode, stale and live sockets, token, garbage,
/// oversized requests, many clients, order of replies.
@Suite struct ControlSocketTests {
    @Test func socketIsMode0600InAFolderMade0700AndRemovedOnStop() async throws {
        let node = try await ControlTestNode()
        var info = stat()
        #expect(lstat(node.socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(node.folder, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(await node.stop() == 0)
        #expect(access(node.socketPath, F_OK) != 0, "the socket file is removed when the node stops")
    }

    @Test func staleSocketFileIsReplacedAndALiveNodeIsRefused() async throws {
        let folder = "/tmp/ctl-stale-\(UInt32.random(in: 0...UInt32.max))"
        let path = folder + "/control.sock"
        mkdir(folder, 0o700)
        defer { rmdir(folder) }
        // A crashed node's leftover: a socket file nobody listens on.
        let leftover = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(leftover, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(leftover)
        #expect(access(path, F_OK) == 0)

        let node = try await ControlTestNode(environment: ["CONTROL_SOCKET": path])
        let reply = try await RawControlClient.object(node.client().roundTrip(#"{"cmd":"level"}"#))
        #expect(reply["ok"] as? Bool == true)

        // A second node on the same socket refuses to start, with a clear message.
        let second = try NodeConfiguration.load(
            environment: ["PORT": String(try FreePort.next()), "HOST": "127.0.0.1", "JWT_SECRET": node.secret,
                          "STORE": "memory", "CONTROL_SOCKET": path],
            arguments: [])
        #expect {
            _ = try Node.start(configuration: second)
        } throws: { error in
            guard let error = error as? ControlSocketError, case .inUse = error else { return false }
            return error.description.contains("another chat-node is running") && error.description.contains(path)
        }
        // The first node still answers.
        #expect(try await RawControlClient.object(node.client().roundTrip(#"{"cmd":"level"}"#))["ok"] as? Bool == true)
        await node.stop()
    }

    @Test func somethingOtherThanASocketAtThePathIsLeftAlone() throws {
        let path = "/tmp/ctl-file-\(UInt32.random(in: 0...UInt32.max))"
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        defer { unlink(path) }
        #expect(throws: ControlSocketError.notASocket(path: path)) { _ = try ControlListener(path: path) }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func everyRequestNeedsTheTokenWhenOneIsSet() async throws {
        let node = try await ControlTestNode(environment: ["CONTROL_TOKEN": "s3cret-token"])
        let client = try node.client()
        for line in [#"{"cmd":"tree"}"#, #"{"cmd":"tree","token":"wrong"}"#, #"{"cmd":"kill","path":"/node/gateway","token":7}"#,
                     #"{"cmd":"level","pin":"critical","token":"s3cret-toke"}"#] {
            let reply = try await RawControlClient.object(client.roundTrip(line))
            #expect(reply["ok"] as? Bool == false)
            #expect(reply["error"] as? String == "unauthorized")
        }
        #expect(node.node.registry.restarts(of: .node.appending("gateway")) == 0, "nothing ran without the token")
        #expect(node.node.degradation.effective == .normal)
        let reply = try await RawControlClient.object(client.roundTrip(#"{"cmd":"level","token":"s3cret-token"}"#))
        #expect(reply["ok"] as? Bool == true)
        #expect(reply["level"] as? String == "normal")
        await node.stop()
    }

    @Test func garbageGetsAnErrorAndTheConnectionStaysUsable() async throws {
        let node = try await ControlTestNode()
        let client = try node.client()
        let cases: [(String, String)] = [
            ("not json at all", "invalid JSON"),
            ("[1,2,3]", "must be a JSON object"),
            ("\"tree\"", "must be a JSON object"),
            ("{\"cmd\":", "invalid JSON"),
            ("{}", "missing \"cmd\""),
            ("{\"cmd\":42}", "\"cmd\" must be a string"),
            ("{\"cmd\":\"explode\"}", "unknown cmd"),
            ("{\"cmd\":\"inspect\"}", "\"path\" is required"),
            ("{\"cmd\":\"kill\",\"path\":\"node/rooms\"}", "invalid path"),
            ("{\"cmd\":\"kill\",\"path\":\"/node//x\"}", "invalid path"),
            ("{\"cmd\":\"level\",\"pin\":\"panic\"}", "unknown level"),
            ("{\"cmd\":\"level\",\"pin\":3}", "must be a level name"),
            ("{\"cmd\":\"rooms\",\"limit\":0}", "\"limit\""),
            ("{\"cmd\":\"rooms\",\"by\":\"size\"}", "\"by\""),
            ("{\"cmd\":\"broadcast\"}", "\"text\" is required"),
            ("{\"cmd\":\"broadcast\",\"text\":\"x\",\"room\":-1}", "\"room\""),
            ("{\"cmd\":\"broadcast\",\"text\":\"x\",\"room\":4294967296}", "\"room\""),
            ("{\"cmd\":\"inspect\",\"path\":\"/node/nowhere\"}", "no actor at /node/nowhere"),
            ("\u{1}\u{2}\u{3}\u{ff}", "invalid JSON"),
            (String(repeating: "[", count: 5000), "invalid JSON"),
        ]
        for (line, expected) in cases {
            let reply = try await RawControlClient.object(client.roundTrip(line))
            #expect(reply["ok"] as? Bool == false, "\(line.prefix(40))")
            #expect((reply["error"] as? String)?.contains(expected) == true, "\(line.prefix(40)): \(reply)")
        }
        // Invalid UTF-8 and NUL bytes on the wire.
        try await client.write([0xC3, 0x28, 0x00, 0xFF, 0x0A])
        #expect(try await RawControlClient.object(client.readLine())["ok"] as? Bool == false)
        // Blank lines are ignored; the next request is answered.
        try await client.write(Array("\n\r\n   \n".utf8))
        #expect(try await RawControlClient.object(client.roundTrip(#"{"cmd":"level","id":"after-garbage"}"#))["id"] as? String == "after-garbage")
        await node.stop()
    }

    @Test func oversizedRequestGetsAnErrorAndIsDiscarded() async throws {
        let node = try await ControlTestNode()
        let client = try node.client()
        // 100 KiB in one line (a valid-looking object), then a normal request.
        let big = #"{"cmd":"broadcast","text":""# + String(repeating: "a", count: 100 * 1024) + #""}"#
        try await client.write(Array((big + "\n" + #"{"cmd":"level","id":1}"# + "\n").utf8))
        let first = try await RawControlClient.object(client.readLine())
        #expect(first["ok"] as? Bool == false)
        #expect((first["error"] as? String)?.contains("over 65536 bytes") == true)
        let second = try await RawControlClient.object(client.readLine())
        #expect(second["ok"] as? Bool == true)
        #expect(second["id"] as? Int == 1)
        // Exactly at the limit is accepted as a line (and refused as JSON); one byte over is not.
        let atLimit = String(repeating: " ", count: 65536 - 2) + "{}"
        #expect((try await RawControlClient.object(client.roundTrip(atLimit))["error"] as? String)?.contains("missing") == true)
        let overLimit = String(repeating: " ", count: 65536 - 1) + "{}"
        #expect((try await RawControlClient.object(client.roundTrip(overLimit))["error"] as? String)?.contains("over 65536") == true)
        // A huge line sent in pieces without a newline is cut off and skipped too.
        for _ in 0..<20 { try await client.write(Array(repeating: UInt8(ascii: "x"), count: 64 * 1024)) }
        let cut = try await RawControlClient.object(client.readLine())
        #expect((cut["error"] as? String)?.contains("over 65536") == true)
        try await client.write(Array("tail of the huge line\n".utf8))
        #expect(try await RawControlClient.object(client.roundTrip(#"{"cmd":"level","id":2}"#))["id"] as? Int == 2)
        await node.stop()
    }

    @Test func manyClientsAtOnceAndRepliesInOrderPerClient() async throws {
        let node = try await ControlTestNode()
        let path = node.socketPath
        try await withThrowingTaskGroup(of: Void.self) { group in
            for clientIndex in 0..<16 {
                group.addTask {
                    let client = try RawControlClient(path: path)
                    // Pipelined: 20 requests written at once, replies must come back in order.
                    var lines = ""
                    for request in 0..<20 {
                        let command = request % 3 == 0 ? "tree" : (request % 3 == 1 ? "stats" : "level")
                        lines += #"{"cmd":"\#(command)","id":"\#(clientIndex)-\#(request)"}"# + "\n"
                    }
                    try await client.write(Array(lines.utf8))
                    for request in 0..<20 {
                        let reply = try await RawControlClient.object(client.readLine(timeout: 30))
                        #expect(reply["ok"] as? Bool == true)
                        #expect(reply["id"] as? String == "\(clientIndex)-\(request)")
                    }
                }
            }
            try await group.waitForAll()
        }
        await node.stop()
    }

    @Test func aClientThatHalfClosesStillGetsItsReplies() async throws {
        let node = try await ControlTestNode()
        let client = try node.client()
        try await client.write(Array(#"{"cmd":"tree","id":1}"#.utf8 + [0x0A] + #"{"cmd":"level","id":2}"#.utf8))
        shutdown(client.fd, Int32(SHUT_WR))  // the last request has no newline: end of stream ends it
        #expect(try await RawControlClient.object(client.readLine())["id"] as? Int == 1)
        #expect(try await RawControlClient.object(client.readLine())["id"] as? Int == 2)
        await node.stop()
    }
}
