import Foundation
import Testing
import TestSupport

/// ops/nginx/chat.conf with Debian's nginx, run as its own process on a free loopback port in
/// front of two chat-node processes (sharing three Valkey shards): a WebSocket chat exchange
/// passes through, and a burst from one address gets 429 from limit_req.
@Suite(.enabled(if: ScaleOutNginx.binary != nil && ScaleOutRequirements.met, "nginx not installed (scripts/apt.d/deploy.txt)"))
struct ScaleOutNginxTests {
    @Test(.timeLimit(.minutes(2)))
    func chatPassesThroughNginxAndLimitReqRefusesABurst() async throws {
        let folder = try Deployment.temporaryDirectory("nginx")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let shards = try (0..<3).map { _ in try ValkeyServer() }
        defer { shards.forEach { $0.stop() } }
        let secret = "nginx-secret-0123456789abcdef"
        let nodes = try (1...2).map { id in
            try ScaleOutNode(id: id, folder: folder, environment: [
                "STORE": "valkey", "VALKEY_HOSTS": shards.map(\.address).joined(separator: ","), "JWT_SECRET": secret,
            ])
        }
        defer { nodes.forEach { $0.child.stop() } }
        for node in nodes {
            let port = node.port
            try await eventually("node \(node.id) healthy", timeout: .seconds(30)) { await httpStatus(port: port, path: "/health") == 200 }
        }

        let port = try FreePort.next()
        try ScaleOutNginx.render(into: folder, port: port, nodes: nodes.map(\.port))
        let nginx = try #require(ScaleOutNginx.binary)
        let test = try Deployment.run(nginx, ["-t", "-e", "\(folder)/error.log", "-p", folder, "-c", "\(folder)/nginx.conf"], timeout: 20)
        #expect(test.status == 0, "nginx -t: \(test)")
        let server = try Spawned(nginx, ["-e", "\(folder)/error.log", "-p", folder, "-c", "\(folder)/nginx.conf"],
                                 environment: ProcessInfo.processInfo.environment,
                                 stdout: "\(folder)/nginx.out", stderr: "\(folder)/nginx.out")
        defer { server.stop() }
        try await eventually("nginx routes /health", timeout: .seconds(20)) { await httpStatus(port: port, path: "/health") == 200 }

        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/nginx_check.py").path
        let (status, output) = try await runProcess(ScaleOutStack.python, [script, String(port), secret])
        #expect(status == 0, "nginx_check.py failed:\n\(output)\n\(ScaleOutStack.tail(folder + "/error.log"))")
        for check in ["websocket chat through nginx", "limit_req", "served again after the burst"] {
            #expect(output.contains("ok \(check)"), "\(check):\n\(output)")
        }
    }
}

/// Renders ops/nginx/chat.conf for a test: the node lines and the listen port replaced, inside
/// a main nginx.conf that keeps every file (pid, logs, temp) in the test's folder.
enum ScaleOutNginx {
    static let binary: String? = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? Deployment.which("nginx")

    static func render(into folder: String, port: Int, nodes: [Int]) throws {
        let template = try Deployment.read("ops/nginx/chat.conf")
        var lines: [String] = []
        var nodesWritten = false
        for line in template.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix("# node") {
                if !nodesWritten {
                    lines += nodes.map { "    server 127.0.0.1:\($0) max_fails=1 fail_timeout=5s;" }
                    nodesWritten = true
                }
            } else if line.hasSuffix("# listen") {
                lines.append("    listen 127.0.0.1:\(port);")
            } else {
                lines.append(String(line))
            }
        }
        try Deployment.write(lines.joined(separator: "\n"), to: "\(folder)/chat.conf")
        try Deployment.write("""
            daemon off;
            master_process on;
            worker_processes 1;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(folder)/client_body;
                proxy_temp_path \(folder)/proxy;
                fastcgi_temp_path \(folder)/fastcgi;
                uwsgi_temp_path \(folder)/uwsgi;
                scgi_temp_path \(folder)/scgi;
                include \(folder)/chat.conf;
            }

            """, to: "\(folder)/nginx.conf")
    }
}
