@preconcurrency import Glibc
import Foundation
import Synchronization
@testable import Gateway

/// A small application for gateway tests: `/ws` upgrades, `/hello` answers, text messages
/// are echoed, `broadcast:<text>` goes to every open WebSocket, `close:<code>` closes,
/// `whoami` answers the connection's id, `to:<id>:<text>` sends to that connection,
/// `budget:<bytes>` sets the sender's outbound budget.
final class EchoApplication: GatewayApplication, @unchecked Sendable {
    let opened = Mutex<Int>(0)
    let closed = Mutex<Int>(0)
    var open: [ConnectionID] = []

    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        switch request.path {
        case "/ws":
            if request.query("token") == "bad" { return .respond(.error(.unauthorized)) }
            return .upgrade(session: nil)
        case "/hello": return .respond(.text(.ok, "hello"))
        default: return .respond(.error(.notFound))
        }
    }

    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway) {
        open.append(connection)
        opened.withLock { $0 += 1 }
    }

    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {
        switch message {
        case .text(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            if text.hasPrefix("broadcast:") {
                gateway.broadcast(OutboundMessage(payload: Array(text.dropFirst(10).utf8)), to: open)
            } else if text.hasPrefix("close:"), let code = UInt16(text.dropFirst(6)) {
                gateway.close(connection, code: WebSocketCloseCode(rawValue: code))
            } else if text == "whoami" {
                gateway.send(OutboundMessage(payload: Array(connection.description.utf8)), to: connection)
            } else if text.hasPrefix("to:") {
                let parts = text.dropFirst(3).split(separator: ":", maxSplits: 1)
                if parts.count == 2, let target = open.first(where: { $0.description == parts[0] }) {
                    gateway.send(OutboundMessage(payload: Array(parts[1].utf8)), to: target)
                }
            } else if text.hasPrefix("budget:"), let bytes = Int(text.dropFirst(7)) {
                gateway.setBudget(connection, bytes: bytes)
            } else {
                gateway.send(OutboundMessage(payload: bytes), to: connection)
            }
        case .binary(let bytes):
            gateway.send(OutboundMessage(opcode: .binary, payload: bytes), to: connection)
        default:
            break
        }
    }

    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {
        open.removeAll { $0 == connection }
        closed.withLock { $0 += 1 }
    }
}

/// A gateway with the echo application on a free loopback port; with `loops` above 1 its
/// connections are spread over that many loops (`Gateway(loop:ioLoops:...)`).
struct RunningGateway {
    let loop: EventLoop
    let gateway: Gateway
    let application: EchoApplication
    let port: Int

    static func start(loops: Int = 1, _ configure: (inout GatewayConfiguration) -> Void = { _ in }) async throws -> RunningGateway {
        let loop = try EventLoop.start(name: "gateway-test")
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        let application = EchoApplication()
        let gateway = loops > 1
            ? try Gateway(loop: loop, ioLoops: try Gateway.startIOLoops(count: loops - 1), configuration: configuration,
                          application: application)
            : Gateway(loop: loop, configuration: configuration, application: application)
        try await gateway.start()
        return RunningGateway(loop: loop, gateway: gateway, application: application, port: await gateway.port)
    }

    func stop() async {
        await gateway.stopEveryLoop()
        loop.shutdown()
        gateway.ioLoops.forEach { $0.shutdown() }
    }
}

/// Descriptors of this process that are TCP sockets bound locally to `port`: the
/// gateway's listening socket and its accepted connections, not the test's clients.
func openSocketCount(port: Int) -> Int {
    var inodes = Set<String>()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        // /proc files report size 0: read them to the end rather than by their size.
        guard let data = FileHandle(forReadingAtPath: table)?.readDataToEndOfFile() else { continue }
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, let local = fields[1].split(separator: ":").last,
                  Int(local, radix: 16) == port else { continue }
            inodes.insert(String(fields[9]))
        }
    }
    let directory = "/proc/self/fd"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.reduce(0) { count, name in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + name),
              target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast())) else { return count }
        return count + 1
    }
}

/// A blocking loopback TCP client for raw-bytes tests.
final class RawClient {
    let fd: Int32

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {  // before connect, so the window starts small
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw SystemError(call: "connect", code: errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until `predicate` holds for what arrived, EOF, or the 5 s timeout.
    func read(until predicate: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], eof: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (all, true) }
            // A signal (SIGCHLD of a process another test started) interrupts a recv with a
            // timeout even under SA_RESTART: only the timeout ends the wait.
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return (all, false) }
            all += buffer[0..<count]
            if predicate(all) { return (all, false) }
        }
    }

    /// Performs a WebSocket handshake on `/ws` and returns the bytes after the response head.
    func upgrade(extraHeaders: String = "") -> (status: String, rest: [UInt8]) {
        send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n")
        let (bytes, _) = read { Self.headEnd(in: $0) != nil }
        guard let end = Self.headEnd(in: bytes) else { return ("", []) }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        return (head.components(separatedBy: "\r\n").first ?? "", Array(bytes[(end + 4)...]))
    }

    static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
