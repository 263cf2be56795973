@preconcurrency import Glibc
import COpenSSL
import Foundation
import Testing
import TestSupport
@testable import Gateway

/// A blocking TLS client for tests: OpenSSL's client side (not our session code) on a
/// `RawClient` socket, verifying the server's certificate against `trusting` and the name
/// `localhost`. Freed without close_notify, which is an abrupt drop.
final class TLSClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let raw: RawClient
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    init(port: Int, trusting certificate: String, alpn: [String] = [], receiveBuffer: Int32? = nil) throws {
        signal(SIGPIPE, SIG_IGN)  // OpenSSL writes with write(2): a reset peer must not kill the tests
        raw = try RawClient(port: port, receiveBuffer: receiveBuffer)
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Failure(description: "SSL_CTX_new") }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw Failure(description: "SSL_new")
        }
        self.context = context
        self.ssl = ssl
        ERR_clear_error()
        guard SSL_CTX_load_verify_locations(context, certificate, nil) == 1 else {
            throw Failure(description: "load_verify_locations: \(TLSError.drainQueue())")
        }
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        _ = SSL_set1_host(ssl, "localhost")
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            _ = wire.withUnsafeBufferPointer { SSL_set_alpn_protos(ssl, $0.baseAddress, UInt32($0.count)) }
        }
        _ = SSL_set_fd(ssl, raw.fd)
        guard SSL_connect(ssl) == 1 else { throw Failure(description: "handshake: \(TLSError.drainQueue())") }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// The negotiated protocol, e.g. "TLSv1.3".
    var version: String { String(cString: SSL_get_version(ssl)) }

    /// The ALPN protocol the server selected, "" for none.
    var alpn: String {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data else { return "" }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var written = 0
            return buffer.isEmpty || SSL_write_ex(ssl, buffer.baseAddress, buffer.count, &written) == 1
        }
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until `predicate` holds, the server closes (close_notify or EOF: `eof`), or the
    /// socket's 5 s timeout passes.
    func read(until predicate: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], eof: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            var count = 0
            let ok = buffer.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
            if ok != 1 {
                // WANT_READ: the receive timeout, or a signal (EINTR) before it; retry the latter.
                let wouldBlock = SSL_get_error(ssl, 0) == SSL_ERROR_WANT_READ
                ERR_clear_error()
                if wouldBlock && ContinuousClock.now < deadline { continue }
                return (all, !wouldBlock)
            }
            all += buffer[0..<count]
            if predicate(all) { return (all, false) }
        }
    }

    /// Sends close_notify.
    func shutdown() { _ = SSL_shutdown(ssl) }

    /// Upgrades to a WebSocket on `/ws` (no extensions); returns the status line.
    func upgrade() -> String {
        send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let (bytes, _) = read { RawClient.headEnd(in: $0) != nil }
        guard let end = RawClient.headEnd(in: bytes) else { return "" }
        return String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }
}

/// Splits unmasked server frames off the front of `bytes`: (opcode, payload) each, and
/// the bytes of an incomplete last frame left in place.
func takeServerFrames(_ bytes: inout [UInt8]) -> [(opcode: UInt8, payload: [UInt8])] {
    var frames: [(opcode: UInt8, payload: [UInt8])] = []
    var at = 0
    while bytes.count - at >= 2 {
        var length = Int(bytes[at + 1] & 0x7F)
        var start = at + 2
        if length == 126 {
            guard bytes.count - at >= 4 else { break }
            length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            start = at + 4
        } else if length == 127 {
            guard bytes.count - at >= 10 else { break }
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[at + $1]) }
            start = at + 10
        }
        guard bytes.count >= start + length else { break }
        frames.append((bytes[at] & 0x0F, Array(bytes[start..<(start + length)])))
        at = start + length
    }
    bytes.removeFirst(at)
    return frames
}

/// A final client frame masked with the all-zero key: valid (RFC 6455 §5.3 only asks for a
/// key) and the payload is copied as is, quick for megabytes in a debug build.
func zeroMaskedFrame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
    let count = payload.count
    var bytes: [UInt8] = [0x80 | opcode]
    if count < 126 {
        bytes.append(0x80 | UInt8(count))
    } else if count <= 0xFFFF {
        bytes += [0x80 | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
    } else {
        bytes.append(0x80 | 127)
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: count >> (56 - 8 * $0)) }
    }
    bytes += [0, 0, 0, 0]
    bytes += payload
    return bytes
}

extension Gateway {
    /// Plaintext bytes waiting in every connection's queue (tests only).
    func queuedBytes() -> Int {
        connections.reduce(0) { $0 + ($1?.outbound.pendingBytes ?? 0) }
    }

    /// The most ciphertext any connection holds for its socket (tests only).
    func largestPendingCiphertext() -> Int {
        connections.reduce(0) { Swift.max($0, $1?.tls?.pendingCiphertext.count ?? 0) }
    }
}

/// Runs a command (a Python checker, `openssl`) with `input` on its stdin; returns its exit
/// status and everything it printed.
func runCommand(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A gateway with the echo application and TLS on, with the shared test certificate.
func startTLSGateway(
    _ configure: (inout GatewayConfiguration) -> Void = { _ in }
) async throws -> (running: RunningGateway, certificate: TestCertificate) {
    let pair = try #require(TestCertificate.shared)
    let context = try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: pair.key)
    let running = try await RunningGateway.start { configuration in
        configuration.tls = context
        configure(&configuration)
    }
    return (running, pair)
}
