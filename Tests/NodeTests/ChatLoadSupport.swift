@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport

/// Runs the built `chat-load` binary and reads what it printed.
enum ChatLoadBinary {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double

        /// stdout parsed as one JSON object (`--json`, `--print-config`).
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    static var path: String { PackageRoot.url.appendingPathComponent(".build/debug/chat-load").path }

    /// Runs `chat-load arguments`, feeding `input` on stdin; kills it after `timeout` seconds.
    static func run(_ arguments: [String], input: String? = nil, timeout: Double = 60) throws -> Output {
        let directory = FileManager.default.temporaryDirectory
        let stamp = UUID().uuidString
        let outURL = directory.appendingPathComponent("chat-load-\(stamp).out")
        let errURL = directory.appendingPathComponent("chat-load-\(stamp).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let started = Date()
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            seconds: Date().timeIntervalSince(started))
    }
}

/// A peer server on a free loopback port (by default its last two arguments are the port
/// and 127.0.0.1); stopped with SIGKILL (children of the test runner may start with
/// SIGTERM blocked).
final class PeerServer {
    let process = Process()
    let port: Int

    init(executable: String, arguments: [String] = [], name: String,
         listen: (Int) -> [String] = { [String($0), "127.0.0.1"] }) throws {
        port = try FreePort.next()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + listen(port)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard Date() < deadline, process.isRunning else { throw TestSupportError.io("\(name) did not start") }
            usleep(20_000)
        }
    }

    deinit { stop() }

    var url: String { "ws://127.0.0.1:\(port)/ws" }
    var pid: Int32 { process.processIdentifier }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        guard let fd = loopbackConnect(port: port, receiveTimeoutSeconds: 1) else { return false }
        close(fd)
        return true
    }
}

/// The Node.js peer of bench/peers (`node-ws-peer.js`).
enum NodeWSPeer {
    /// `node` on the PATH (or /usr/bin/node) and Debian's node-ws: what scripts/setup installs.
    static var nodePath: String? {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/node" } + ["/usr/bin/node"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var isAvailable: Bool {
        nodePath != nil && FileManager.default.fileExists(atPath: "/usr/share/nodejs/ws/package.json")
    }

    static let skipReason: Comment = "needs node and Debian's node-ws (scripts/setup installs them from scripts/apt.d/bench.txt)"

    /// Starts the peer on a free port.
    static func start() throws -> PeerServer {
        try PeerServer(executable: nodePath ?? "/usr/bin/node",
                       arguments: [PackageRoot.url.appendingPathComponent("bench/peers/node-ws-peer.js").path], name: "node-ws peer")
    }
}

/// Reads nested values of a parsed JSON object: `value(json, "messages", "sent")`.
func jsonValue(_ object: [String: Any]?, _ path: String...) -> Any? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return current
}

func jsonInt(_ object: [String: Any]?, _ path: String...) -> Int? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return (current as? NSNumber)?.intValue
}

func jsonDouble(_ object: [String: Any]?, _ path: String...) -> Double? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return (current as? NSNumber)?.doubleValue
}

/// chat-load's own peer (`chat-load peer`).
enum GatewayPeerProcess {
    /// Starts it on a free port.
    static func start() throws -> PeerServer {
        try PeerServer(executable: ChatLoadBinary.path, arguments: ["peer"], name: "chat-load peer") { ["--port", String($0)] }
    }
}
