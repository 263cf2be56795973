import COpenSSL
import Testing
import TestSupport
@testable import Gateway

/// `TLSSession` against OpenSSL's client side, both on memory BIOs: no sockets, no loop.
@Suite struct TLSSessionTests {
    private func context() throws -> TLSContext {
        let pair = try #require(TestCertificate.shared)
        return try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: pair.key)
    }

    @Test func handshakeRecordsBothWaysAndCloseNotify() throws {
        let server = try TLSSession(context: try context())
        let client = try MemoryTLSClient(trusting: try #require(TestCertificate.shared).certificate)
        let pump = Pump()
        pump.run(client, server)
        #expect(client.isConnected && server.isHandshakeComplete)
        #expect(pump.failures.isEmpty)
        server.releaseHandshakeBuffers()  // fresh BIOs from here on: everything below goes through them

        client.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        pump.run(client, server)
        #expect(pump.received == Array("GET / HTTP/1.1\r\n\r\n".utf8))

        // 100 KB out in record-sized steps: the output BIO never holds much more than a record.
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var offset = 0
        var largestPending = 0
        while offset < big.count {
            let end = min(big.count, offset + 16 * 1024)
            try big[offset..<end].withUnsafeBytes { try server.encrypt($0) }
            largestPending = max(largestPending, server.pendingCiphertext.count)
            client.feed(pump.drain(server))
            offset = end
        }
        #expect(client.readAll() == big)
        #expect(largestPending <= TLSSession.chunkLimit + 64)

        server.queueCloseNotify()
        client.feed(pump.drain(server))
        #expect(client.readAll().isEmpty && client.sawCloseNotify)

        client.shutdown()
        pump.run(client, server)
        #expect(pump.closed)
    }

    /// TLS 1.3 lets the client send its request right behind its Finished: one socket read
    /// brings both, and the request must come out of that same read.
    @Test func finishedAndRequestInOneReadYieldTheRequest() throws {
        let server = try TLSSession(context: try context())
        let client = try MemoryTLSClient(trusting: try #require(TestCertificate.shared).certificate)
        let pump = Pump()
        client.step()
        pump.inject(client.takeOutgoing(), into: server)  // ClientHello
        client.feed(pump.drain(server))  // the server's flight
        client.step()  // the client finishes and may send at once
        #expect(client.isConnected)
        client.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        pump.inject(client.takeOutgoing(), into: server)  // Finished and the request, one read
        #expect(server.isHandshakeComplete)
        #expect(pump.received == Array("GET / HTTP/1.1\r\n\r\n".utf8))
    }

    @Test func plainHTTPIsAHandshakeFailure() throws {
        let server = try TLSSession(context: try context())
        let request = Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let fed = request.withUnsafeBytes { server.feed($0) }
        #expect(fed == request.count)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
        defer { output.deallocate() }
        guard case .failed(.handshake(let reason)) = server.decrypt(into: output) else {
            Issue.record("plain HTTP was not refused")
            return
        }
        #expect(!reason.isEmpty)
        // Once failed, always failed; encrypting is refused too.
        #expect(server.decrypt(into: output) != .needsInput)
        #expect(throws: TLSError.self) { try [1, 2, 3].withUnsafeBytes { try server.encrypt($0) } }
    }

    @Test func randomBytesNeverTrapAndNeverYieldPlaintext() throws {
        let context = try context()
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
        defer { output.deallocate() }
        var random = SplitMix64(seed: 0x7157)
        for round in 0..<500 {
            let server = try TLSSession(context: context)
            var bytes = (0..<Int(random.next() % 3000)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Half the rounds look like a handshake record, to get past the first checks.
            if round % 2 == 0, bytes.count > 5 { bytes[0] = 0x16; bytes[1] = 0x03; bytes[2] = 0x01 }
            var rest = bytes[...]
            feeding: while !rest.isEmpty {
                let fed = rest.withUnsafeBytes { server.feed($0) }
                rest = rest.dropFirst(fed)
                switch server.decrypt(into: output) {
                case .plaintext: Issue.record("plaintext out of random bytes"); break feeding
                case .failed, .closed: break feeding
                case .needsInput: continue
                }
            }
        }
    }

    @Test func aForgedRecordAfterTheHandshakeIsARecordFailure() throws {
        let server = try TLSSession(context: try context())
        let client = try MemoryTLSClient(trusting: try #require(TestCertificate.shared).certificate)
        let pump = Pump()
        pump.run(client, server)
        #expect(server.isHandshakeComplete)
        pump.inject([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32), into: server)
        #expect(pump.failures.contains { if case .record = $0 { true } else { false } })
    }

    @Test func tls12WithoutForwardSecrecyOrAEADIsRefused() throws {
        let server = try TLSSession(context: try context())
        let client = try MemoryTLSClient(
            trusting: try #require(TestCertificate.shared).certificate, maxVersion: TLS1_2_VERSION, ciphers: "AES128-SHA")
        let pump = Pump()
        pump.run(client, server)
        #expect(!client.isConnected)
        #expect(pump.failures.contains { if case .handshake = $0 { true } else { false } })

        let modern = try TLSSession(context: try context())
        let tls12 = try MemoryTLSClient(
            trusting: try #require(TestCertificate.shared).certificate, maxVersion: TLS1_2_VERSION, ciphers: "ECDHE+AESGCM")
        let again = Pump()
        again.run(tls12, modern)
        #expect(tls12.isConnected && modern.isHandshakeComplete)
    }
}

// MARK: - Moving bytes between the two ends

/// Moves ciphertext between a memory client and a session until neither has more to say.
final class Pump {
    var received: [UInt8] = []
    var failures: [TLSError] = []
    var closed = false
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)

    deinit {
        output.deallocate()
        scratch.deallocate()
    }

    func run(_ client: MemoryTLSClient, _ server: TLSSession) {
        for _ in 0..<20 {
            client.step()
            let toServer = client.takeOutgoing()
            inject(toServer, into: server)
            let toClient = drain(server)
            client.feed(toClient)
            if toServer.isEmpty && toClient.isEmpty { return }
        }
    }

    func inject(_ bytes: [UInt8], into server: TLSSession) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let fed = rest.withUnsafeBytes { server.feed($0) }
            if fed == 0 { return }
            rest = rest.dropFirst(fed)
            decrypting: while true {
                switch server.decrypt(into: output) {
                case .plaintext(let count): received += UnsafeRawBufferPointer(rebasing: output[0..<count])
                case .needsInput: break decrypting
                case .closed: closed = true; return
                case .failed(let error): failures.append(error); return
                }
            }
        }
    }

    func drain(_ server: TLSSession) -> [UInt8] {
        let bytes = Array(server.pendingCiphertext)
        server.consumeCiphertext(bytes.count, scratch: scratch)
        return bytes
    }
}

/// OpenSSL's client side on two memory BIOs, verifying the test certificate for `localhost`.
final class MemoryTLSClient {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let input: OpaquePointer
    private let output: OpaquePointer
    private(set) var sawCloseNotify = false

    init(trusting certificate: String, maxVersion: Int32? = nil, ciphers: String? = nil) throws {
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        let ssl = try #require(SSL_new(context))
        let input = try #require(BIO_new(BIO_s_mem()))
        let output = try #require(BIO_new(BIO_s_mem()))
        self.context = context
        self.ssl = ssl
        self.input = input
        self.output = output
        SSL_set_bio(ssl, input, output)
        #expect(SSL_CTX_load_verify_locations(context, certificate, nil) == 1)
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        _ = SSL_set1_host(ssl, "localhost")
        if let maxVersion { _ = SSL_ctrl(ssl, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil) }
        if let ciphers { _ = SSL_set_cipher_list(ssl, ciphers) }
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    var isConnected: Bool { SSL_is_init_finished(ssl) == 1 }

    func step() {
        if !isConnected { _ = SSL_do_handshake(ssl) }
        ERR_clear_error()
    }

    func takeOutgoing() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32($0.count)) }
            if count <= 0 { return bytes }
            bytes += buffer[0..<Int(count)]
        }
    }

    func feed(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { BIO_write(input, $0.baseAddress, Int32($0.count)) }
    }

    func write(_ bytes: [UInt8]) {
        var written = 0
        _ = bytes.withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress, $0.count, &written) }
    }

    func readAll() -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            var count = 0
            if buffer.withUnsafeMutableBytes({ SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }) != 1 {
                if SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN { sawCloseNotify = true }
                ERR_clear_error()
                return all
            }
            all += buffer[0..<count]
        }
    }

    func shutdown() { _ = SSL_shutdown(ssl) }
}
