import Foundation
import Testing
import TestSupport

/// ops/backup.sh against three real valkey-server shards on loopback: backup, wipe,
/// restore, pruning after 7 days, uploads only when configured.
@Suite(.enabled(if: Deployment.valkeyCLI != nil && Deployment.zstd != nil, "valkey-cli/redis-cli or zstd missing (scripts/apt.d/deploy.txt)"))
struct DeploymentBackupTests {
    /// Runs ops/backup.sh with a private backup folder and no host configuration file.
    private func backup(_ arguments: [String], directory: String, environment: [String: String] = [:]) throws -> Deployment.Result {
        var env = ["BACKUP_DIR": directory, "CHAT_BACKUP_ENV": "/nonexistent/backup.env"]
        if let server = try? ValkeyServer.binary() { env["VALKEY_SERVER"] = server }
        env.merge(environment) { _, new in new }
        return try Deployment.run(
            Deployment.path("ops/backup.sh"), arguments, environment: env,
            removing: ["VALKEY_HOSTS", "BACKUP_S3_URL", "BACKUP_S3_ENDPOINT", "BACKUP_RCLONE_REMOTE", "BACKUP_FETCH", "VALKEY_CLI"],
            timeout: 120)
    }

    private func backups(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("valkey-") && $0.hasSuffix(".rdb.zst") }.sorted()
    }

    /// Writes a room's history (sorted set with a TTL), members (set) and a plain key.
    private func seed(_ shard: ValkeyServer, room: Int) throws {
        _ = try shard.command("ZADD", "room:{\(room)}:msgs", "1", "hello", "2", "world")
        _ = try shard.command("EXPIRE", "room:{\(room)}:msgs", "3600")
        _ = try shard.command("SADD", "room:{\(room)}:members", "1", "2", "3")
        _ = try shard.command("SET", "marker", "shard-of-room-\(room)")
    }

    @Test func backupWipeRestoreAndPrune() async throws {
        try await onOwnThread {
            let shards = try (0..<3).map { _ in try ValkeyServer() }
            defer { shards.forEach { $0.stop() } }
            for (index, shard) in shards.enumerated() { try seed(shard, room: index * 1000 + 42) }
            let directory = try Deployment.temporaryDirectory("backups")
            defer { try? FileManager.default.removeItem(atPath: directory) }

            // Backups older than 7 days go; younger ones stay (mtime faked with touch -d).
            let stale = directory + "/valkey-127.0.0.1-6381-20200101T000000Z.rdb.zst"
            let recent = directory + "/valkey-127.0.0.1-6381-20200102T000000Z.rdb.zst"
            let unrelated = directory + "/notes.txt"
            for file in [stale, recent, unrelated] { try Deployment.write("x", to: file) }
            _ = try Deployment.run("touch", ["-d", "8 days ago", stale, unrelated])
            _ = try Deployment.run("touch", ["-d", "6 days ago", recent])

            let result = try backup([], directory: directory, environment: ["VALKEY_HOSTS": shards.map(\.address).joined(separator: ",")])
            #expect(result.status == 0, "\(result)")
            let made = try backups(in: directory).filter { !$0.contains("2020") }
            #expect(made.count == 3, "\(made)\n\(result)")
            for shard in shards {
                #expect(made.contains { $0.hasPrefix("valkey-127.0.0.1-\(shard.port)-") }, "no backup of \(shard.address): \(made)")
            }
            #expect(!FileManager.default.fileExists(atPath: stale), "a backup older than 7 days was kept")
            #expect(FileManager.default.fileExists(atPath: recent), "a backup younger than 7 days was deleted")
            #expect(FileManager.default.fileExists(atPath: unrelated), "prune touched a file that is not a backup")

            // Every file is zstd and holds an RDB dump.
            for name in made {
                let check = try Deployment.run("/bin/bash", ["-c", "zstd -q -d -c \"$1\" | head -c 5", "check", "\(directory)/\(name)"])
                #expect(check.stdout == "REDIS" || check.stdout.hasPrefix("VALKE"), "\(name): \(check)")
            }

            // Shard 2 is wiped; one key written after the wipe must survive the restore.
            let wiped = shards[1]
            _ = try wiped.command("FLUSHALL")
            _ = try wiped.command("SET", "written-after-wipe", "yes")
            _ = try wiped.command("SET", "marker", "overwritten")
            #expect(try wiped.command("EXISTS", "room:{1042}:msgs").hasPrefix(":0"))
            let file = try #require(made.first { $0.hasPrefix("valkey-127.0.0.1-\(wiped.port)-") })
            let restore = try backup(["restore", "\(directory)/\(file)", wiped.address], directory: directory)
            #expect(restore.status == 0, "\(restore)")
            #expect(restore.stdout.contains("restored 3 keys"), "\(restore)")
            #expect(try wiped.command("ZRANGE", "room:{1042}:msgs", "0", "-1") == "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n")
            #expect(try wiped.command("SCARD", "room:{1042}:members") == ":3\r\n")
            #expect(try wiped.command("GET", "marker") == "$18\r\nshard-of-room-1042\r\n", "keys of the dump replace keys of the same name")
            #expect(try wiped.command("GET", "written-after-wipe") == "$3\r\nyes\r\n", "other keys stay")
            let ttl = try wiped.command("TTL", "room:{1042}:msgs")
            let seconds = Int(ttl.dropFirst().prefix { $0.isNumber }) ?? -1
            #expect((3000...3600).contains(seconds), "TTL kept through backup and restore: \(ttl)")
            // The other shards were not touched by the restore.
            #expect(try shards[0].command("GET", "marker") == "$16\r\nshard-of-room-42\r\n")
            #expect(try shards[2].command("EXISTS", "written-after-wipe") == ":0\r\n")
            // The throwaway server is gone: no leftover folder of this restore.
            #expect(!restore.stderr.contains("did not load"))

            // prune on its own: the 6-day-old backup stays until it is 7 days old.
            _ = try Deployment.run("touch", ["-d", "7 days ago 1 hour ago", recent])
            let prune = try backup(["prune"], directory: directory)
            #expect(prune.status == 0, "\(prune)")
            #expect(!FileManager.default.fileExists(atPath: recent))
            #expect(try backups(in: directory).count == 3)
        }
    }

    @Test func streamsTheDumpWhenTheShardIsNotOnThisMachine() async throws {
        try await onOwnThread {
            let shard = try ValkeyServer()
            defer { shard.stop() }
            try seed(shard, room: 7)
            let directory = try Deployment.temporaryDirectory("backups-rdb")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // BACKUP_FETCH=rdb: what happens for a shard in a container or on another host.
            let result = try backup([shard.address], directory: directory, environment: ["BACKUP_FETCH": "rdb"])
            #expect(result.status == 0, "\(result)")
            let file = try #require(try backups(in: directory).first)
            _ = try shard.command("FLUSHALL")
            let restore = try backup(["restore", "\(directory)/\(file)", shard.address], directory: directory)
            #expect(restore.status == 0, "\(restore)")
            #expect(try shard.command("SCARD", "room:{7}:members") == ":3\r\n")
        }
    }

    @Test func uploadsOnlyWhenConfiguredAndReportsAFailedUpload() async throws {
        try await onOwnThread {
            let shard = try ValkeyServer()
            defer { shard.stop() }
            try seed(shard, room: 1)
            let directory = try Deployment.temporaryDirectory("backups-upload")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // A stand-in aws CLI that records its arguments (and fails when asked to).
            let bin = directory + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            let calls = directory + "/aws-calls"
            try Deployment.write("#!/bin/sh\necho \"$@\" >> '\(calls)'\n[ -z \"$AWS_STUB_FAIL\" ]\n", to: bin + "/aws", executable: true)
            let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let store = directory + "/store"

            let unconfigured = try backup([shard.address], directory: store, environment: ["PATH": path])
            #expect(unconfigured.status == 0, "\(unconfigured)")
            #expect(!FileManager.default.fileExists(atPath: calls), "uploaded without BACKUP_S3_URL")

            let before = Set(try backups(in: store))
            let configured = try backup([shard.address], directory: store, environment: [
                "PATH": path, "BACKUP_S3_URL": "s3://chat-backups/node1/", "BACKUP_S3_ENDPOINT": "https://s3.us-west-004.backblazeb2.com",
            ])
            #expect(configured.status == 0, "\(configured)")
            let recorded = (try? String(contentsOfFile: calls, encoding: .utf8)) ?? ""
            let name = try #require(try backups(in: store).first { !before.contains($0) })
            #expect(recorded == "s3 cp --only-show-errors --endpoint-url https://s3.us-west-004.backblazeb2.com \(store)/\(name) s3://chat-backups/node1/\(name)\n",
                    "aws called as: \(recorded)")

            let failing = try backup([shard.address], directory: store, environment: [
                "PATH": path, "BACKUP_S3_URL": "s3://chat-backups/node1", "AWS_STUB_FAIL": "1",
            ])
            #expect(failing.status == 3, "a failed upload is exit 3: \(failing)")
            #expect(try backups(in: store).count == 3, "the local backup stays when the upload fails")
        }
    }

    @Test func reportsAShardThatIsDownAndBacksUpTheOthers() async throws {
        try await onOwnThread {
            let shard = try ValkeyServer()
            defer { shard.stop() }
            let down = try FreePort.next()
            let directory = try Deployment.temporaryDirectory("backups-down")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let result = try backup(["127.0.0.1:\(down)", shard.address], directory: directory)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("127.0.0.1:\(down) does not answer PING"), "\(result)")
            #expect(try backups(in: directory).count == 1)
        }
    }

    @Test func refusesWhatIsNotABackup() async throws {
        try await onOwnThread {
            let shard = try ValkeyServer()
            defer { shard.stop() }
            let directory = try Deployment.temporaryDirectory("backups-bad")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Deployment.write("not a dump", to: directory + "/bogus.rdb")
            let result = try backup(["restore", directory + "/bogus.rdb", shard.address], directory: directory)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("is not an RDB file"), "\(result)")
            let missing = try backup(["restore", directory + "/missing.rdb.zst", shard.address], directory: directory)
            #expect(missing.status == 2, "\(missing)")
            let usage = try backup(["restore", directory + "/bogus.rdb"], directory: directory)
            #expect(usage.status == 2, "\(usage)")
            let noShards = try backup([], directory: directory)
            #expect(noShards.status == 2 && noShards.stderr.contains("VALKEY_HOSTS"), "\(noShards)")
        }
    }
}
