import Foundation
import Testing
import TestSupport

/// ops/traefik: Traefik v3 with the file provider for three nodes on one host, rendered by
/// compose/traefik/render.sh (the same generator the compose stack and the scale-out tests use).
@Suite struct ScaleOutTraefikConfigTests {
    /// The settings ops/traefik was rendered with (docs/deploy.md names the command).
    static let settings = [
        "CHAT_BACKENDS": "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083",
        "CHAT_HEALTH_INTERVAL": "5s", "TRAEFIK_DYNAMIC_DIR": "/etc/traefik/dynamic", "TRAEFIK_PING_ADDRESS": "127.0.0.1:8090",
    ]

    @Test func committedFilesAreWhatRenderWrites() async throws {
        try await onOwnThread {
            let folder = try Deployment.temporaryDirectory("ops-traefik")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let result = try Deployment.run(
                "/bin/sh", [Deployment.path("compose/traefik/render.sh"), folder], environment: Self.settings,
                removing: ["CHAT_DOMAIN", "ACME_EMAIL", "TRAEFIK_TLS_CERT", "TRAEFIK_TLS_KEY", "CHAT_RETRY_ATTEMPTS",
                           "TRAEFIK_HTTP_ADDRESS", "TRAEFIK_HTTPS_ADDRESS", "CF_DNS_API_TOKEN"],
                timeout: 20)
            #expect(result.status == 0, "\(result)")
            for file in ["traefik.yml", "dynamic/chat.yml"] {
                let rendered = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                #expect(rendered == (try Deployment.read("ops/traefik/\(file)")),
                        "ops/traefik/\(file) differs from render.sh's output (docs/deploy.md, \"Traefik without containers\")")
            }
        }
    }

    @Test(.enabled(if: Deployment.pythonWithYAML != nil, "python3 with PyYAML is not installed"))
    func filesSayWhatTheIssueAsks() async throws {
        try await onOwnThread {
            let staticFile = try Deployment.yamlFile("ops/traefik/traefik.yml")
            #expect(string(staticFile, at: ["log", "level"]) == "ERROR")
            #expect(value(staticFile, at: ["api"]) == nil, "no API, no dashboard")
            #expect(string(staticFile, at: ["providers", "file", "directory"]) == "/etc/traefik/dynamic")
            let dynamic = try Deployment.yamlFile("ops/traefik/dynamic/chat.yml")
            let balancer = ["http", "services", "chat", "loadBalancer"]
            #expect(string(dynamic, at: balancer + ["healthCheck", "path"]) == "/health")
            let servers = value(dynamic, at: balancer + ["servers"]) as? [Any] ?? []
            #expect(servers.count == 3)
            #expect(string(dynamic, at: ["http", "routers", "chat", "middlewares", "0"]) == "chat-retry")
            #expect(string(dynamic, at: ["http", "middlewares", "chat-retry", "retry", "attempts"]) == "3")
        }
    }
}
