import Foundation
import Testing
import TestSupport

/// Three (or more) chat-node processes sharing Valkey (three shards, or a three-master
/// cluster), with real Traefik in front, all on loopback: what the scale-out tests run
/// against. Nodes are `Spawned` (signal mask reset), so SIGTERM reaches them and drains.
final class ScaleOutStack: @unchecked Sendable {
    /// How the nodes reach Valkey.
    enum Valkey { case shards, cluster }

    let secret = "scale-out-secret-0123456789abcdef"
    let folder: String
    let nodes: [ScaleOutNode]
    let traefik: Spawned
    let proxyPort: Int
    /// The Valkey servers, kept alive as long as the stack.
    let shards: [ValkeyServer]
    let cluster: ValkeyClusterServers?

    init(valkey: Valkey, nodeCount: Int = 3) async throws {
        folder = try Deployment.temporaryDirectory("scale-out")
        let hosts: String
        switch valkey {
        case .shards:
            shards = try (0..<3).map { _ in try ValkeyServer() }
            cluster = nil
            hosts = shards.map(\.address).joined(separator: ",")
        case .cluster:
            let servers = try await ValkeyClusterServers(masters: 3)
            cluster = servers
            shards = []
            hosts = servers.hosts
        }
        var nodes: [ScaleOutNode] = []
        for index in 1...nodeCount {
            nodes.append(try ScaleOutNode(id: index, folder: folder, environment: [
                "STORE": "valkey", "VALKEY_HOSTS": hosts, "VALKEY_MODE": valkey == .cluster ? "cluster" : "shards",
                "JWT_SECRET": secret,
            ]))
        }
        self.nodes = nodes
        for node in nodes {
            let port = node.port
            try await eventually("node \(node.id) healthy", timeout: .seconds(30)) { await httpStatus(port: port, path: "/health") == 200 }
        }

        proxyPort = try FreePort.next()
        let pingPort = try FreePort.next()
        let render = try Deployment.run(
            "/bin/sh", [Deployment.path("compose/traefik/render.sh"), folder + "/traefik"],
            environment: [
                "CHAT_BACKENDS": nodes.map { "http://127.0.0.1:\($0.port)" }.joined(separator: ","),
                "TRAEFIK_HTTP_ADDRESS": "127.0.0.1:\(proxyPort)", "TRAEFIK_PING_ADDRESS": "127.0.0.1:\(pingPort)",
                "CHAT_HEALTH_INTERVAL": "1s",
            ],
            removing: ["CHAT_DOMAIN", "ACME_EMAIL", "TRAEFIK_TLS_CERT", "TRAEFIK_TLS_KEY", "TRAEFIK_DYNAMIC_DIR", "CHAT_RETRY_ATTEMPTS"],
            timeout: 20)
        try #require(render.status == 0, "\(render)")
        let traefikPath = try #require(Deployment.traefik, "traefik not found")
        let log = folder + "/traefik.log"
        traefik = try Spawned(traefikPath, ["--configFile=\(folder)/traefik/traefik.yml"],
                              environment: ProcessInfo.processInfo.environment, stdout: log, stderr: log)
        let proxy = proxyPort
        try await eventually("traefik routes /health", timeout: .seconds(30)) { await httpStatus(port: proxy, path: "/health") == 200 }
    }

    /// Runs Tests/NodeTests/python/scale_out_check.py against this stack.
    func check(scenario: String, victim: ScaleOutNode? = nil, extra: [String] = []) async throws -> (Int32, String) {
        var arguments = [
            PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/scale_out_check.py").path,
            "--proxy", String(proxyPort), "--secret", secret, "--nodes", nodes.map { String($0.id) }.joined(separator: ","),
            "--scenario", scenario,
        ]
        if let victim { arguments += ["--victim-pid", String(victim.child.pid), "--victim-node", String(victim.id)] }
        return try await runProcess(Self.python, arguments + extra)
    }

    /// The project's Python (with `websockets`).
    static let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"]
        ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path

    /// The tail of every node's log and Traefik's, for failure messages.
    var logs: String {
        (nodes.map { "node \($0.id): \($0.logTail)" } + ["traefik: " + Self.tail(folder + "/traefik.log")]).joined(separator: "\n")
    }

    static func tail(_ path: String, bytes: Int = 2000) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return String(text.suffix(bytes))
    }

    func stop() {
        traefik.stop()
        nodes.forEach { $0.child.stop() }
        shards.forEach { $0.stop() }
        cluster?.servers.forEach { $0.stop() }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// One chat-node process of a scale-out stack, with its own `NODE_ID` and log file.
final class ScaleOutNode: @unchecked Sendable {
    let id: Int
    let port: Int
    let child: Spawned
    let log: String

    init(id: Int, folder: String, environment: [String: String]) throws {
        self.id = id
        port = try FreePort.next()
        log = "\(folder)/node-\(id).log"
        let env = [
            "PORT": String(port), "HOST": "127.0.0.1", "NODE_ID": String(id), "DEV_LOGIN": "1", "LOG_LEVEL": "warn",
            "CONTROL_SOCKET": "\(folder)/node-\(id).sock", "WEB_ROOT": Deployment.path("web"),
            // No load sampling (a shared test machine would pin levels), a rate limit out of the way.
            "LOAD_SAMPLE_SECONDS": "3600", "RATE_LIMIT": "100000",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ].merging(environment) { _, new in new }
        child = try Spawned(Deployment.chatNode, [], environment: env, stdout: log, stderr: log)
    }

    var logTail: String { ScaleOutStack.tail(log) }
}

/// Whether the scale-out tests can run: the debug chat-node, Traefik, the project's Python.
enum ScaleOutRequirements {
    static var met: Bool {
        FileManager.default.isExecutableFile(atPath: Deployment.chatNode) && Deployment.traefik != nil
            && FileManager.default.isExecutableFile(atPath: ScaleOutStack.python)
    }
}
