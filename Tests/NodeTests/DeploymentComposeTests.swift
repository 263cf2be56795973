import Foundation
import Testing
import TestSupport
@testable import NodeKit

/// compose/docker-compose.yml and the scale file: valid for Compose, and the figures that
/// matter (limits, health checks, restart policy, mounts, settings) where users expect them.
@Suite struct DeploymentComposeTests {
    /// A secret for the calls that need one (never a real one: it lives only in this process).
    private let secret = "deployment-test-secret-0123456789"

    private func compose(_ files: [String], _ arguments: [String], environment: [String: String]) throws -> Deployment.Result {
        guard let tool = Deployment.dockerCompose else { throw TestSupportError.missing("docker-compose") }
        var all: [String] = []
        for file in files { all += ["-f", Deployment.path(file)] }
        // Settings of the developer's shell must not leak into what is checked.
        return try Deployment.run(
            tool, all + arguments, environment: environment,
            removing: ["JWT_SECRET", "VALKEY_HOSTS", "CHAT_BACKENDS", "NODE_ID", "RATE_LIMIT", "MAX_CONNECTIONS", "CHAT_IMAGE"])
    }

    /// The resolved configuration (`docker-compose config`), parsed.
    private func resolved(_ files: [String]) throws -> Any {
        let result = try compose(files, ["config"], environment: ["JWT_SECRET": secret])
        try #require(result.status == 0, "\(result)")
        return try Deployment.yaml(result.stdout)
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil, "docker-compose is not installed (scripts/apt.d/deploy.txt)"))
    func composeFilesValidate() async throws {
        try await onOwnThread {
            for files in [["compose/docker-compose.yml"], ["compose/docker-compose.yml", "compose/docker-compose.scale.yml"]] {
                let result = try compose(files, ["config", "-q"], environment: ["JWT_SECRET": secret])
                #expect(result.status == 0, "\(files): \(result)")
                let monitoring = try compose(files, ["--profile", "monitoring", "config", "-q"], environment: ["JWT_SECRET": secret])
                #expect(monitoring.status == 0, "\(files) with monitoring: \(monitoring)")
            }
        }
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil, "docker-compose is not installed (scripts/apt.d/deploy.txt)"))
    func refusesToRunWithoutJWTSecret() async throws {
        try await onOwnThread {
            let result = try compose(["compose/docker-compose.yml"], ["config", "-q"], environment: [:])
            #expect(result.status != 0)
            #expect(result.stderr.contains("JWT_SECRET is required"), "\(result)")
        }
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil && Deployment.pythonWithYAML != nil, "docker-compose or PyYAML missing"))
    func nodeHasLimitsHealthCheckRestartAndSettings() async throws {
        try await onOwnThread {
            let config = try resolved(["compose/docker-compose.yml"])
            let backend = value(config, at: ["services", "backend"])
            #expect(string(backend, at: ["restart"]) == "always")
            #expect(string(backend, at: ["deploy", "resources", "limits", "memory"]) == "400M")
            #expect(string(backend, at: ["deploy", "resources", "limits", "cpus"]) == "0.8")
            #expect(string(backend, at: ["memswap_limit"]) == "400M")
            #expect(string(backend, at: ["ulimits", "nofile", "soft"]) == "100000")
            #expect(string(backend, at: ["ulimits", "nofile", "hard"]) == "100000")
            #expect((value(backend, at: ["healthcheck", "test"]) as? [String]) == ["CMD", "/usr/local/bin/chat-healthcheck"])
            #expect(string(backend, at: ["healthcheck", "interval"]) == "30s")
            #expect(string(backend, at: ["healthcheck", "retries"]) == "3")
            #expect(string(backend, at: ["build", "dockerfile"]) == "Dockerfile")
            #expect(string(backend, at: ["build", "context"]) == Deployment.root.standardizedFileURL.path)
            #expect(value(backend, at: ["ports"]) == nil, "the node is reached through Traefik only")

            let environment = value(backend, at: ["environment"]) as? [String: Any] ?? [:]
            #expect(environment["VALKEY_HOSTS"] as? String == "valkey-shard-1:6379,valkey-shard-2:6379,valkey-shard-3:6379")
            #expect(environment["MAX_CONNECTIONS"] as? String == "3000")
            #expect(environment["RATE_LIMIT"] as? String == "20")
            #expect(environment["JWT_SECRET"] as? String == secret)
            #expect(environment["DEV_LOGIN"] as? String == "0")
            // Every setting passed to the node is one the node knows (a typo would be ignored).
            for name in environment.keys where !name.hasPrefix("CHAT_HEALTH_") {
                #expect(NodeConfiguration.settingNames.contains(name), "compose passes \(name), which chat-node does not read")
            }
            // And the configuration those settings make is accepted by the node.
            let text = environment.compactMapValues { $0 as? String }
            #expect(throws: Never.self) { try NodeConfiguration.load(environment: text, arguments: []) }
        }
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil && Deployment.pythonWithYAML != nil, "docker-compose or PyYAML missing"))
    func shardsMountValkeyConfAndHaveLimitsAndHealthChecks() async throws {
        try await onOwnThread {
            let config = try resolved(["compose/docker-compose.yml"])
            let valkeyConf = Deployment.path("ops/valkey.conf")
            var hostPorts: Set<String> = []
            for index in 1...3 {
                let shard = value(config, at: ["services", "valkey-shard-\(index)"])
                #expect(shard != nil, "valkey-shard-\(index) missing")
                #expect(string(shard, at: ["restart"]) == "always")
                #expect(string(shard, at: ["deploy", "resources", "limits", "memory"]) == "90M")
                #expect(string(shard, at: ["image"])?.hasPrefix("valkey/valkey:8") == true)
                let test = (value(shard, at: ["healthcheck", "test"]) as? [String]) ?? []
                #expect(test.contains("valkey-cli") && test.contains("ping"), "\(test)")
                let command = (value(shard, at: ["command"]) as? [String]) ?? []
                #expect(command.starts(with: ["valkey-server", "/etc/valkey/valkey.conf"]), "\(command)")
                // docker-compose 1.29 prints volumes as "source:target:mode" strings.
                let volumes = (value(shard, at: ["volumes"]) as? [Any] ?? []).map { "\($0)" }
                #expect(volumes.contains("\(valkeyConf):/etc/valkey/valkey.conf:ro"), "\(volumes)")
                for port in value(shard, at: ["ports"]) as? [Any] ?? [] {
                    let text = "\(port)"
                    #expect(text.hasPrefix("127.0.0.1:") || (port as? [String: Any])?["host_ip"] as? String == "127.0.0.1",
                            "shard port published beyond loopback: \(text)")
                    hostPorts.insert(text)
                }
            }
            #expect(hostPorts.count == 3, "each shard its own loopback port for backups: \(hostPorts)")
        }
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil && Deployment.pythonWithYAML != nil, "docker-compose or PyYAML missing"))
    func traefikAndMonitoringAreWiredAndTheStackFitsTheBudget() async throws {
        try await onOwnThread {
            let config = try resolved(["compose/docker-compose.yml"])
            let traefik = value(config, at: ["services", "traefik"])
            #expect(string(traefik, at: ["image"])?.hasPrefix("traefik:v3") == true)
            #expect(string(traefik, at: ["restart"]) == "always")
            #expect((value(traefik, at: ["entrypoint"]) as? [String]) == ["/bin/sh", "/etc/chat-traefik/render.sh"])
            let volumes = (value(traefik, at: ["volumes"]) as? [Any] ?? []).map { "\($0)" }
            #expect(volumes.contains("\(Deployment.path("compose/traefik")):/etc/chat-traefik:ro"), "\(volumes)")
            #expect(string(traefik, at: ["environment", "CHAT_BACKENDS"]) == "http://backend:8080")
            #expect(value(traefik, at: ["healthcheck", "test"]) != nil)

            for name in ["node-exporter", "prometheus"] {
                #expect((value(config, at: ["services", name, "profiles"]) as? [String]) == ["monitoring"], "\(name)")
            }
            let prometheusVolumes = (value(config, at: ["services", "prometheus", "volumes"]) as? [Any] ?? []).map { "\($0)" }
            #expect(prometheusVolumes.contains { $0.hasPrefix(Deployment.path("ops/prometheus") + ":/etc/prometheus") })
            #expect(FileManager.default.fileExists(atPath: Deployment.path("ops/prometheus/prometheus.yml")))

            // The always-on services fit the budget of docs/deploy.md: 800 MB of limits on 1 GB.
            var total = 0
            let services = value(config, at: ["services"]) as? [String: Any] ?? [:]
            for (name, service) in services where value(service, at: ["profiles"]) == nil {
                let limit = try #require(string(service, at: ["deploy", "resources", "limits", "memory"]), "\(name) has no memory limit")
                let megabytes = try #require(Int(limit.dropLast()), "\(name): \(limit)")
                #expect(limit.hasSuffix("M"))
                total += megabytes
            }
            #expect(total <= 800, "memory limits add up to \(total) MB")
            let budget = try Deployment.read("docs/deploy.md")
            #expect(budget.contains("\(total) MB"), "docs/deploy.md should state the \(total) MB of limits")
        }
    }

    @Test(.enabled(if: Deployment.dockerCompose != nil && Deployment.pythonWithYAML != nil, "docker-compose or PyYAML missing"))
    func scaleFileAddsANodeWithItsOwnIDBehindTheSameTraefik() async throws {
        try await onOwnThread {
            let config = try resolved(["compose/docker-compose.yml", "compose/docker-compose.scale.yml"])
            let first = value(config, at: ["services", "backend"])
            let second = value(config, at: ["services", "backend-2"])
            #expect(second != nil)
            let firstID = string(first, at: ["environment", "NODE_ID"])
            let secondID = string(second, at: ["environment", "NODE_ID"])
            #expect(firstID != nil && secondID != nil && firstID != secondID, "NODE_ID \(firstID ?? "-") and \(secondID ?? "-")")
            for path in [["image"], ["restart"], ["deploy", "resources", "limits", "memory"], ["healthcheck", "interval"],
                         ["environment", "VALKEY_HOSTS"], ["environment", "JWT_SECRET"], ["build", "context"]] {
                #expect(string(first, at: path) == string(second, at: path), "backend-2 differs at \(path)")
            }
            let backends = string(config, at: ["services", "traefik", "environment", "CHAT_BACKENDS"]) ?? ""
            #expect(backends == "http://backend:8080,http://backend-2:8080")
        }
    }

    @Test func envExampleNamesOnlyKnownSettingsAndNoSecret() async throws {
        try await onOwnThread {
            let text = try Deployment.read("compose/.env.example")
            let compose = try Deployment.read("compose/docker-compose.yml") + (try Deployment.read("compose/docker-compose.scale.yml"))
            for line in text.split(separator: "\n") {
                var entry = line.trimmingCharacters(in: .whitespaces)
                if entry.hasPrefix("# ") { entry = String(entry.dropFirst(2)) }
                guard let equals = entry.firstIndex(of: "="), entry.prefix(while: { $0.isUppercase || $0 == "_" || $0.isNumber }).count == entry.distance(from: entry.startIndex, to: equals) else { continue }
                let name = String(entry[..<equals])
                #expect(compose.contains("${\(name)"), ".env.example names \(name), which the compose files do not read")
            }
            #expect(text.contains("\nJWT_SECRET=\n"), "JWT_SECRET must be present and empty in .env.example")
        }
    }
}
