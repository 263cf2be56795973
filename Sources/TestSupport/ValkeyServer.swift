import Foundation

/// A real `valkey-server` on a free loopback port, for integration tests.
///
/// Found through `CHAT_VALKEY_SERVER` (set by scripts/test), else `.venv/bin/valkey-server`
/// in the package root, else `valkey-server` or `redis-server` on PATH. Stopped (SIGKILL)
/// and its folder removed by `stop()` or when the value is released.
public final class ValkeyServer: @unchecked Sendable {
    /// The loopback port it listens on.
    public private(set) var port: Int
    /// `127.0.0.1:port`.
    public var address: String { "127.0.0.1:\(port)" }
    /// Its working folder (dump files).
    public let directory: URL
    private let extraArguments: [String]
    private var process: Process?

    /// Starts a server; `arguments` are extra `--name value` settings (e.g. cluster mode).
    public init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? FreePort.next()
        self.extraArguments = arguments
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("valkey-test-\(self.port)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A free port can be taken by another socket before the server binds it (ephemeral
        // ports of other tests' clients): then the server exits, and another port is tried.
        var attempts = 0
        while true {
            do {
                try start()
                return
            } catch TestSupportError.exited(_) where port == nil && attempts < 5 {
                attempts += 1
                self.port = try FreePort.next()
            }
        }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Path of the server binary to use.
    public static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CHAT_VALKEY_SERVER"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let local = PackageRoot.url.appendingPathComponent(".venv/bin/valkey-server").path
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            for name in ["valkey-server", "redis-server"] {
                let path = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        throw TestSupportError.missing("valkey-server (run scripts/setup)")
    }

    /// (Re)starts the process on the same port and waits until it answers PING.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--daemonize", "no", "--logfile", directory.appendingPathComponent("server.log").path,
        ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        ChildProcesses.track(process.processIdentifier)
        self.process = process
        try waitUntilReady(process)
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    public func kill() {
        guard let process else { return }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        ChildProcesses.forget(process.processIdentifier)
        self.process = nil
    }

    /// Stops the server.
    public func stop() { kill() }

    /// Sends one command over a fresh connection and returns the raw reply bytes (a
    /// test helper, independent of the code under test).
    public func command(_ args: String...) throws -> String {
        try RawRESP.command(port: port, args)
    }

    private func waitUntilReady(_ process: Process) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let reply = try? RawRESP.command(port: port, ["PING"]), reply.hasPrefix("+PONG") { return }
            if !process.isRunning {
                self.process = nil
                throw TestSupportError.exited("valkey-server on port \(port) (port taken?)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestSupportError.timeout("valkey-server on port \(port)")
    }
}

/// Errors of the test helpers.
public enum TestSupportError: Error, CustomStringConvertible {
    case missing(String)
    case timeout(String)
    case exited(String)
    case io(String)

    public var description: String {
        switch self {
        case .missing(let what): return "missing: \(what)"
        case .timeout(let what): return "timed out: \(what)"
        case .exited(let what): return "exited: \(what)"
        case .io(let what): return "I/O error: \(what)"
        }
    }
}

/// The package's root folder, found from this file's path.
public enum PackageRoot {
    /// `Sources/TestSupport/..`/..
    public static let url: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
