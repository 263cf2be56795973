import Foundation
import Testing
import TestSupport
@testable import Gateway

/// The gateway with TLS on, driven by independent clients: Python's `websockets` over
/// wss://, the `openssl s_client` command, and OpenSSL's client side over a socket.
@Suite struct TLSEndToEndTests {
    @Test func independentPythonWSSClientPassesItsChecks() async throws {
        let (running, pair) = try await startTLSGateway()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/GatewayTests/python/wss_client_check.py").path
        let (status, text) = try runCommand(python, [script, String(running.port), pair.certificate])
        #expect(status == 0, "python client failed:\n\(text)")
        for check in ["text binary ping close", "deflate large", "broadcast server close", "plain refused", "untrusted refused"] {
            #expect(text.contains("ok \(check)"), "missing check \(check):\n\(text)")
        }
        #expect(running.gateway.counters.upgrades.load(ordering: .relaxed) >= 4)
        await running.stop()
    }

    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func httpsWithTheOpenSSLCommand(version: String) async throws {
        let (running, pair) = try await startTLSGateway()
        let requests = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
            + "GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        // -quiet implies -ign_eof: s_client waits for the server to close after the second answer.
        let (status, text) = try runCommand("/usr/bin/env", [
            "openssl", "s_client", "-connect", "127.0.0.1:\(running.port)", version, "-quiet",
            "-CAfile", pair.certificate, "-verify_return_error", "-verify_hostname", "localhost",
        ], input: requests)
        #expect(status == 0, "s_client failed:\n\(text)")
        #expect(text.contains("HTTP/1.1 200"), "\(text)")
        #expect(text.contains("hello"))
        #expect(text.contains("HTTP/1.1 404"))
        await running.stop()
    }

    @Test func alpnAndCloseNotifyWithOpenSSLsClient() async throws {
        let (running, pair) = try await startTLSGateway()
        let browserLike = try TLSClient(port: running.port, trusting: pair.certificate, alpn: ["h2", "http/1.1"])
        #expect(browserLike.alpn == "http/1.1")
        let h2Only = try TLSClient(port: running.port, trusting: pair.certificate, alpn: ["h2"])
        #expect(h2Only.alpn == "")
        for client in [browserLike, h2Only] {
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (bytes, eof) = client.read()
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(eof, "a closing response ends the TLS connection")
        }
        // The WebSocket over our client: a masked text frame comes back unmasked.
        let ws = try TLSClient(port: running.port, trusting: pair.certificate)
        #expect(ws.upgrade() == "HTTP/1.1 101 Switching Protocols")
        ws.send(rawFrame(first: 0x81, payload: Array("over tls".utf8)))
        var buffer = ws.read { $0.count >= 10 }.bytes
        let frames = takeServerFrames(&buffer)
        #expect(frames.first?.opcode == 1 && frames.first?.payload == Array("over tls".utf8))
        #expect(running.gateway.counters.tlsFailures.load(ordering: .relaxed) == 0)
        await running.stop()
    }
}
