import Foundation
import Testing
import TestSupport

/// ops/: kernel settings, limits, systemd units, logrotate, swap, cron, and the Dockerfile
/// with its build context; no secret in any deployment file.
@Suite struct DeploymentOpsTests {
    /// `key = value` lines of a sysctl file, comments and blank lines skipped.
    private func sysctl() throws -> [(key: String, value: String)] {
        var entries: [(String, String)] = []
        for (number, line) in try Deployment.read("ops/sysctl.d/99-chat.conf").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty, "line \(number + 1) is not `key = value`: \(text)")
            #expect(parts.count == 2 && parts[0].allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }, "line \(number + 1): \(text)")
            if parts.count == 2 { entries.append((parts[0], parts[1])) }
        }
        return entries
    }

    @Test func sysctlFileParsesAndCarriesThePlansFigures() async throws {
        try await onOwnThread {
            let entries = try sysctl()
            let settings = Dictionary(entries.map { ($0.key, $0.value) }) { first, _ in first }
            #expect(settings.count == entries.count, "a key is set twice")
            #expect((Int(settings["fs.file-max"] ?? "") ?? 0) >= 100_000)
            #expect(settings["net.core.somaxconn"] == "8192")
            #expect(settings["net.ipv4.tcp_max_syn_backlog"] == "8192")
            #expect(settings["net.core.rmem_max"] == "16777216")
            #expect(settings["net.core.wmem_max"] == "16777216")
            #expect(settings["net.ipv4.tcp_rmem"]?.hasSuffix(" 16777216") == true)
            #expect(settings["net.ipv4.tcp_wmem"]?.hasSuffix(" 16777216") == true)
            #expect(settings["net.ipv4.tcp_congestion_control"] == "bbr")
            #expect(settings["net.core.default_qdisc"] == "fq")
            #expect(settings["net.ipv4.tcp_tw_reuse"] == "1")
            #expect(settings["vm.swappiness"] == "10")
            #expect(settings["vm.min_free_kbytes"] == "16384")
            // A comment above every setting says why.
            let lines = try Deployment.read("ops/sysctl.d/99-chat.conf").split(separator: "\n").map(String.init)
            for (index, line) in lines.enumerated() where !line.hasPrefix("#") && line.contains("=") {
                #expect(index > 0 && lines[index - 1].hasPrefix("#"), "no comment above: \(line)")
            }
            // Each key exists in this kernel (where /proc/sys shows that area at all).
            for (key, _) in entries {
                let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
                let area = "/proc/sys/" + (key.split(separator: ".").first.map(String.init) ?? "")
                guard FileManager.default.fileExists(atPath: area) else { continue }
                #expect(FileManager.default.fileExists(atPath: path), "\(key): no \(path) in this kernel")
            }
        }
    }

    @Test func limitsGiveOneHundredThousandFiles() async throws {
        try await onOwnThread {
            var nofile: [String: String] = [:]
            for line in try Deployment.read("ops/limits.d/chat.conf").split(separator: "\n") where !line.hasPrefix("#") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                #expect(fields.count == 4, "not `domain type item value`: \(line)")
                #expect(fields.count != 4 || ["soft", "hard", "-"].contains(fields[1]), "\(line)")
                if fields.count == 4 && fields[0] == "chat" && fields[2] == "nofile" { nofile[fields[1]] = fields[3] }
            }
            #expect(nofile == ["soft": "100000", "hard": "100000"])
        }
    }

    @Test func systemdUnitsCarryTheLimitsAndRestartPolicy() async throws {
        try await onOwnThread {
            let node = try Deployment.read("ops/systemd/chat-node.service")
            let shard = try Deployment.read("ops/systemd/valkey-shard@.service")
            for (name, unit) in [("chat-node.service", node), ("valkey-shard@.service", shard)] {
                #expect(unit.contains("\nLimitNOFILE=100000\n"), "\(name)")
                #expect(unit.contains("\nRestart=always\n"), "\(name)")
                #expect(unit.contains("\nCPUAffinity="), "\(name)")
            }
            #expect(node.contains("\nMemoryMax=400M\n") && shard.contains("\nMemoryMax=90M\n"))
            #expect(shard.contains("/etc/chat/valkey.conf"))
            #expect(!node.contains("\nEnvironment=JWT_SECRET"), "the secret lives in /etc/chat/chat-node.env, not in the unit")
            #expect(node.contains("\nEnvironmentFile=/etc/chat/chat-node.env\n"))
            let timer = try Deployment.read("ops/systemd/chat-backup.timer")
            #expect(timer.contains("OnCalendar=*-*-* 00/6:00:00"))
        }
    }

    /// `systemd-analyze verify` on copies of the units whose programs point at stand-ins (the
    /// real binaries are not installed here).
    @Test(.enabled(if: Deployment.which("systemd-analyze") != nil, "systemd-analyze is not installed: unit files checked structurally only"))
    func systemdUnitsVerify() async throws {
        try await onOwnThread {
            let folder = try Deployment.temporaryDirectory("systemd")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let stubs = ["/usr/local/bin/chat-node": "chat-node", "/usr/bin/valkey-server": "valkey-server", "/opt/chat/ops/backup.sh": "backup.sh"]
            for (_, stub) in stubs { try Deployment.write("#!/bin/sh\n", to: "\(folder)/\(stub)", executable: true) }
            let units = ["chat-node.service", "valkey-shard@.service", "chat-backup.service", "chat-backup.timer"]
            for unit in units {
                var text = try Deployment.read("ops/systemd/\(unit)")
                for (real, stub) in stubs { text = text.replacingOccurrences(of: real, with: "\(folder)/\(stub)") }
                try Deployment.write(text, to: "\(folder)/\(unit)")
            }
            // A template is verified through an instance of it.
            try FileManager.default.copyItem(atPath: "\(folder)/valkey-shard@.service", toPath: "\(folder)/valkey-shard@1.service")
            let result = try Deployment.run(
                "systemd-analyze", ["verify", "--man=no"] + ["chat-node.service", "valkey-shard@1.service", "chat-backup.service", "chat-backup.timer"].map { "\(folder)/\($0)" },
                timeout: 60)
            // Lines about units outside ours (the host's own) are not ours to judge.
            let ours = result.stderr.split(separator: "\n").filter { line in units.contains { line.contains($0.replacingOccurrences(of: "@.", with: "@1.")) } || line.contains(folder) }
            #expect(result.status == 0, "\(result)")
            #expect(ours.isEmpty, "systemd-analyze: \(ours.joined(separator: "\n"))")
        }
    }

    @Test(.enabled(if: Deployment.which("logrotate") != nil || FileManager.default.isExecutableFile(atPath: "/usr/sbin/logrotate"), "logrotate is not installed"))
    func logrotateConfigurationRotates() async throws {
        try await onOwnThread {
            let logrotate = Deployment.which("logrotate") ?? "/usr/sbin/logrotate"
            let folder = try Deployment.temporaryDirectory("logrotate")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let text = try Deployment.read("ops/logrotate.d/chat-node")
            #expect(text.contains("daily") && text.contains("rotate 7"))
            try FileManager.default.createDirectory(atPath: folder + "/log", withIntermediateDirectories: true)
            try Deployment.write(text.replacingOccurrences(of: "/var/log/chat", with: folder + "/log"), to: folder + "/chat-node")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder + "/chat-node")
            try Deployment.write("{\"level\":\"error\"}\n", to: folder + "/log/chat-node.log")
            let debug = try Deployment.run(logrotate, ["-d", "-s", folder + "/state", folder + "/chat-node"])
            #expect(debug.status == 0, "\(debug)")
            #expect(!debug.stderr.contains("error:") && !debug.stdout.contains("error:"), "\(debug)")
            let forced = try Deployment.run(logrotate, ["-f", "-s", folder + "/state", folder + "/chat-node"])
            #expect(forced.status == 0, "\(forced)")
            #expect(FileManager.default.fileExists(atPath: folder + "/log/chat-node.log.1"))
            let size = (try FileManager.default.attributesOfItem(atPath: folder + "/log/chat-node.log")[.size] as? NSNumber)?.intValue
            #expect(size == 0, "copytruncate leaves the open file empty")
        }
    }

    @Test func swapScriptRefusesWithoutRootAndValidatesItsSize() async throws {
        try await onOwnThread {
            let script = Deployment.path("ops/swap.sh")
            let asNobody: Deployment.Result
            if getuid() == 0 {
                guard let setpriv = Deployment.which("setpriv") else { return }
                asNobody = try Deployment.run(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", script])
                // As root, only the refusal of a bad size is safe to try (nothing is created).
                let bad = try Deployment.run("/bin/bash", [script, "lots"], environment: ["SWAP_FILE": "/nonexistent/swapfile"])
                #expect(bad.status == 2 && bad.stderr.contains("SIZE_MB"), "\(bad)")
            } else {
                asNobody = try Deployment.run("/bin/bash", [script])
            }
            #expect(asNobody.status == 1, "\(asNobody)")
            #expect(asNobody.stderr.contains("must run as root"), "\(asNobody)")
            let text = try Deployment.read("ops/swap.sh")
            #expect(text.contains("size_mb=${1:-1024}"), "1 GB by default")
        }
    }

    @Test func cronLineRunsTheBackupEverySixHours() async throws {
        try await onOwnThread {
            let lines = try Deployment.read("ops/cron/chat-backup").split(separator: "\n")
            let jobs = lines.filter { $0.first?.isNumber == true || $0.hasPrefix("*") || $0.hasPrefix("@") }
            #expect(jobs.count == 1, "\(jobs)")
            let fields = jobs.first?.split(separator: " ", maxSplits: 6).map(String.init) ?? []
            #expect(fields.count == 7, "m h dom mon dow user command: \(fields)")
            #expect(fields.count == 7 && fields[1] == "*/6" && fields[5] == "root" && fields[6].contains("ops/backup.sh backup"))
        }
    }

    @Test func dockerfileBuildsTheStaticBinaryAndRunsUnprivileged() async throws {
        try await onOwnThread {
            let text = try Deployment.read("Dockerfile")
            #expect(text.contains("ARG SWIFT_IMAGE=swift:6.3-bookworm"))
            #expect(text.contains("FROM ${SWIFT_IMAGE} AS builder"))
            #expect(text.contains("ARG RUNTIME_IMAGE=debian:bookworm-slim"))
            #expect(text.contains("swift build -c release --static-swift-stdlib --product chat-node"))
            for package in ["libhiredis-dev", "libssl-dev", "libzstd-dev", "zlib1g-dev", "libhiredis0.14", "libssl3", "libzstd1", "zlib1g", "ca-certificates"] {
                #expect(text.contains(" \(package)"), "Dockerfile lacks \(package)")
            }
            #expect(!text.contains(" curl"), "the runtime image has no curl: the health check speaks HTTP itself")
            let user = text.split(separator: "\n").last { $0.hasPrefix("USER ") }
            #expect(user != nil && user?.contains("root") == false, "runs as \(user.map(String.init) ?? "root")")
            #expect(text.contains("EXPOSE 8080"))
            #expect(text.contains("HEALTHCHECK") && text.contains("chat-healthcheck"))
            #expect(text.contains("COPY web ./web"))

            // Every file the Dockerfile copies from the context passes .dockerignore's allow-list.
            let allowed = try Deployment.read(".dockerignore").split(separator: "\n")
                .filter { $0.hasPrefix("!") }.map { String($0.dropFirst()).trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
            for line in text.split(separator: "\n") where line.hasPrefix("COPY ") && !line.contains("--from=") {
                let words = line.split(separator: " ").map(String.init).filter { !$0.hasPrefix("--") }
                for source in words.dropFirst().dropLast() {
                    #expect(allowed.contains(source), ".dockerignore keeps \(source) out of the build context")
                    #expect(FileManager.default.fileExists(atPath: Deployment.path(source)), "COPY \(source): no such file")
                }
            }
        }
    }

    /// No deployment file carries a JWT secret: values come from the environment
    /// (`${JWT_SECRET...}`), are empty, or are placeholders (`<...>`, `$(...)`). Sources and
    /// tests are left out: their secrets are test fixtures.
    @Test func noSecretIsCommitted() async throws {
        try await onOwnThread {
            let files = try trackedFiles().filter { !$0.hasPrefix("Sources/") && !$0.hasPrefix("Tests/") && !$0.hasPrefix("Fuzz/") }
            #expect(files.contains("compose/docker-compose.yml"))
            #expect(!files.contains("compose/.env"), "compose/.env is tracked")
            // `JWT_SECRET=value`, `JWT_SECRET: value`; not `${JWT_SECRET:?message}` or `:-default`.
            let assignment = #/JWT_SECRET[ \t]*(?:=|:(?![?\-]))[ \t]*("?)([^\s"`]*)/#
            for file in files {
                guard let text = try? String(contentsOfFile: Deployment.path(file), encoding: .utf8) else { continue }
                for match in text.matches(of: assignment) {
                    let value = String(match.output.2)
                    let placeholder = value.isEmpty || value.hasPrefix("${") || value.hasPrefix("<") || value.hasPrefix("$(") || value.hasPrefix("...")
                    #expect(placeholder, "\(file): JWT_SECRET has a literal value (\(value.prefix(4))...)")
                }
            }
        }
    }

    /// Tracked files (git ls-files), or every file outside build folders without git.
    private func trackedFiles() throws -> [String] {
        if Deployment.which("git") != nil,
           let result = try? Deployment.run("git", ["-C", Deployment.root.path, "ls-files"], timeout: 30), result.status == 0 {
            return result.stdout.split(separator: "\n").map(String.init)
        }
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: Deployment.root.path)
        while let file = enumerator?.nextObject() as? String {
            if file.hasPrefix(".build") || file.hasPrefix(".venv") || file.hasPrefix(".git") { enumerator?.skipDescendants(); continue }
            files.append(file)
        }
        return files
    }
}
