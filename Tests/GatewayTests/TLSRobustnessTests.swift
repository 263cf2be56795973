@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport
@testable import Gateway

/// TLS under bad peers: garbage, plain text, stalled handshakes, slow readers, abrupt drops.
@Suite struct TLSRobustnessTests {
    @Test func garbageAndPlainHTTPCloseOnlyThoseConnections() async throws {
        let (running, pair) = try await startTLSGateway()
        let keeper = try TLSClient(port: running.port, trusting: pair.certificate)
        keeper.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(String(decoding: keeper.read { $0.count >= 12 }.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        let garbage = try RawClient(port: running.port)
        garbage.send([0xFF, 0x00, 0x13, 0x37] + (0..<508).map { UInt8(truncatingIfNeeded: $0 &* 73) })
        let (junk, junkClosed) = garbage.read()
        #expect(junkClosed, "garbage on the TLS port closes the connection")
        #expect(!String(decoding: junk, as: UTF8.self).contains("HTTP/"))

        let plain = try RawClient(port: running.port)
        plain.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let (answer, plainClosed) = plain.read()
        #expect(plainClosed, "plain HTTP on the TLS port closes the connection")
        #expect(!String(decoding: answer, as: UTF8.self).contains("hello"))
        #expect(running.gateway.counters.tlsFailures.load(ordering: .relaxed) >= 2)

        // The TLS connection opened before still works, on the same keep-alive connection.
        keeper.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(String(decoding: keeper.read { $0.count >= 12 }.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        await running.stop()
    }

    @Test func aHandshakeThatNeverFinishesIsCutByTheRequestTimeout() async throws {
        let (running, _) = try await startTLSGateway { $0.requestTimeoutSeconds = 1 }
        let silent = try RawClient(port: running.port)
        let partial = try RawClient(port: running.port)
        partial.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])  // a ClientHello's start
        #expect(silent.read().eof, "a silent client is closed")
        #expect(partial.read().eof, "a stalled handshake is closed")
        try await eventually("both closed") { await running.gateway.connectionCount == 0 }
        await running.stop()
    }

    @Test func aSlowTLSReaderHitsItsPlaintextBudgetAndGets4008() async throws {
        let (running, pair) = try await startTLSGateway { $0.defaultBudget = 1 << 20 }
        let reader = try TLSClient(port: running.port, trusting: pair.certificate, receiveBuffer: 4096)
        #expect(reader.upgrade() == "HTTP/1.1 101 Switching Protocols")
        let sender = try TLSClient(port: running.port, trusting: pair.certificate)
        #expect(sender.upgrade() == "HTTP/1.1 101 Switching Protocols")
        try await eventually("both open") { running.application.opened.withLock { $0 } == 2 }
        // Neither reads. One 60 KB broadcast every 10 ms against a 1 MiB budget, so a burst within
        // one loop round cannot fill the queue: only a full socket can, and only if ciphertext
        // waits for the socket instead of soaking up the queue.
        let frame = zeroMaskedFrame(opcode: 1, Array("broadcast:\(String(repeating: "z", count: 60000))".utf8))
        for _ in 0..<400 where running.gateway.counters.slowConsumers.load(ordering: .relaxed) == 0 {
            sender.send(frame)
            try await Task.sleep(for: .milliseconds(10))
        }
        try await eventually("slow consumer cut") { running.gateway.counters.slowConsumers.load(ordering: .relaxed) >= 1 }
        await running.stop()
    }

    @Test func largeEchoesSurviveABlockedSocketInOrder() async throws {
        let (running, pair) = try await startTLSGateway { $0.defaultBudget = 16 << 20 }
        let client = try TLSClient(port: running.port, trusting: pair.certificate, receiveBuffer: 4096)
        #expect(client.upgrade() == "HTTP/1.1 101 Switching Protocols")
        var random = SplitMix64(seed: 42)
        let noise = random.bytes(50_000)
        // 6 MB: more than the kernel's largest send buffer (tcp_wmem, 4 MiB) plus the client's;
        // each payload starts with its index, so order is checked too.
        let payloads = (0..<120).map { index in (0..<8).map { UInt8(truncatingIfNeeded: index >> (8 * $0)) } + noise.dropFirst(8) }
        for payload in payloads { client.send(zeroMaskedFrame(opcode: 2, payload)) }
        // Once every frame was read and the rounds' flushes ran, the socket is full: frames wait
        // as plaintext in the queue (its budget applies), behind at most a record of ciphertext.
        let sent = payloads.count * (50_000 + 14)
        try await eventually("all read") { running.gateway.counters.bytesIn.load(ordering: .relaxed) >= sent }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await running.gateway.queuedBytes() > 0)
        #expect(await running.gateway.largestPendingCiphertext() <= TLSSession.chunkLimit + 1024)
        var buffer: [UInt8] = []
        var received: [[UInt8]] = []
        while received.count < payloads.count {
            let (bytes, eof) = client.read { _ in true }
            if bytes.isEmpty || eof { break }
            buffer += bytes
            received += takeServerFrames(&buffer).map(\.payload)
        }
        #expect(received.count == payloads.count)
        #expect(received == payloads, "echoes arrive whole and in order")
        #expect(running.gateway.counters.tlsFailures.load(ordering: .relaxed) == 0)
        await running.stop()
    }

    @Test func twoHundredAbruptTLSDropsLeakNoDescriptors() async throws {
        let (running, pair) = try await startTLSGateway()
        let before = openSocketCount(port: running.port)
        #expect(before == 1, "only the listening socket")
        var clients: [TLSClient] = []
        var raws: [RawClient] = []
        for index in 0..<200 {
            switch index % 4 {
            case 0, 1:  // upgraded WebSockets
                let client = try TLSClient(port: running.port, trusting: pair.certificate)
                #expect(client.upgrade() == "HTTP/1.1 101 Switching Protocols")
                clients.append(client)
            case 2:  // handshake done, request half sent
                let client = try TLSClient(port: running.port, trusting: pair.certificate)
                client.send("GET /hel")
                clients.append(client)
            default:  // handshake half done
                let raw = try RawClient(port: running.port)
                raw.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC])
                raws.append(raw)
            }
        }
        try await eventually("100 upgrades") { running.application.opened.withLock { $0 } == 100 }
        try await eventually("200 open") { await running.gateway.connectionCount == 200 }
        // Half of them reset (SO_LINGER 0), the others closed with a FIN; none says close_notify.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        for client in clients.enumerated() where client.offset % 2 == 0 {
            setsockopt(client.element.raw.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        clients.removeAll()
        raws.removeAll()
        try await eventually("all closed") { await running.gateway.connectionCount == 0 }
        #expect(running.application.closed.withLock { $0 } == 100)
        let probe = try TLSClient(port: running.port, trusting: pair.certificate)
        probe.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: probe.read().bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // Counted per port (the gateway's sockets only), so tests running alongside do not blur it.
        try await eventually("descriptors back") {
            await running.gateway.connectionCount == 0 && openSocketCount(port: running.port) == before
        }
        await running.stop()
    }
}
