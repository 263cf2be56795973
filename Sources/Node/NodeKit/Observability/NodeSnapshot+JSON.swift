import Actors
import Foundation

// MARK: - /health and the control socket's `stats`

/// The `/health` body.
struct HealthReport: Encodable {
    var status: String
    var connections: Int
    var sessions: Int
    var tiers: [String: Int]
    var memoryBytes: Int?
    var memoryLimitBytes: Int
    var cpuPercent: Double
    var level: String
    var levelPinned: Bool
    var shards: Int
    var shardsUp: Int
    var shardsDown: Int
    var draining: Bool
    var uptimeS: Int
    var nodeID: Int

    enum CodingKeys: String, CodingKey {
        case status, connections, sessions, tiers, level, shards, draining, nodeID = "node_id"
        case memoryBytes = "memory_bytes", memoryLimitBytes = "memory_limit_bytes", cpuPercent = "cpu_percent"
        case levelPinned = "level_pinned", shardsUp = "shards_up", shardsDown = "shards_down", uptimeS = "uptime_s"
    }
}

/// The `stats` result.
struct StatsResult: Encodable {
    struct Totals: Encodable {
        var received, delivered, framesOut, droppedLow, rateLimited, slowConsumers, bytesIn, bytesOut: Int

        enum CodingKeys: String, CodingKey {
            case received, delivered
            case framesOut = "frames_out", droppedLow = "dropped_low", rateLimited = "rate_limited"
            case slowConsumers = "slow_consumers", bytesIn = "bytes_in", bytesOut = "bytes_out"
        }
    }

    struct Shard: Encodable {
        var name, address: String
        var connected: Bool
        var outbox, commands, errors, refused, disconnects: Int
        /// Flushes and commands per flush on average (the pipeline's batch size).
        var flushes: Int
        var batchMean: Double

        enum CodingKeys: String, CodingKey {
            case name, address, connected, outbox, commands, errors, refused, disconnects, flushes
            case batchMean = "batch_mean"
        }
    }

    /// One latency histogram since start: observations and p50/p99 in milliseconds
    /// (estimated from the buckets; nil before the first observation).
    struct Latency: Encodable {
        var count: Int
        var p50Ms, p99Ms: Double?

        enum CodingKeys: String, CodingKey { case count, p50Ms = "p50_ms", p99Ms = "p99_ms" }

        init(_ snapshot: HistogramSnapshot) {
            count = snapshot.count
            p50Ms = snapshot.quantile(0.5).map { NodeSnapshot.rounded($0 * 1000) }
            p99Ms = snapshot.quantile(0.99).map { NodeSnapshot.rounded($0 * 1000) }
        }
    }

    struct Latencies: Encodable {
        var storeAck, fanOutLocal, fanOutRemote: Latency

        enum CodingKeys: String, CodingKey {
            case storeAck = "store_ack", fanOutLocal = "fanout_local", fanOutRemote = "fanout_remote"
        }
    }

    struct Memory: Encodable {
        var rssBytes: Int?
        var limitBytes: Int
        enum CodingKeys: String, CodingKey { case rssBytes = "rss_bytes", limitBytes = "limit_bytes" }
    }

    struct CPU: Encodable {
        var percent: Double
        var seconds: Double?
    }

    var status: String
    var uptimeS: Int
    var connections, sessions, rooms: Int
    var messagesInPerS, messagesOutPerS, deliveriesPerS: Double
    var totals: Totals
    var latency: Latencies?
    var shards: [Shard]
    var memory: Memory
    var cpu: CPU
    var level: String
    var draining: Bool

    enum CodingKeys: String, CodingKey {
        case status, connections, sessions, rooms, totals, latency, shards, memory, cpu, level, draining
        case uptimeS = "uptime_s", messagesInPerS = "messages_in_per_s", messagesOutPerS = "messages_out_per_s"
        case deliveriesPerS = "deliveries_per_s"
    }
}

extension NodeSnapshot {
    /// The `/health` body and whether it is healthy (200) or not (503).
    func healthJSON() -> (healthy: Bool, json: String) {
        let report = HealthReport(
            status: status, connections: connections, sessions: sessions, tiers: tiers, memoryBytes: residentBytes,
            memoryLimitBytes: memoryLimitBytes, cpuPercent: Self.rounded(rates.cpuPercent),
            level: levels.effective.rawValue, levelPinned: levels.pinned != nil, shards: shards.count,
            shardsUp: shardsUp, shardsDown: shards.count - shardsUp, draining: draining, uptimeS: Int(uptimeSeconds),
            nodeID: nodeID)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) }
            ?? #"{"status":"\#(status)"}"#
        return (status == "ok", json)
    }

    /// The `stats` result.
    func statsResult() -> StatsResult {
        StatsResult(
            status: status, uptimeS: Int(uptimeSeconds), connections: connections, sessions: sessions, rooms: rooms,
            messagesInPerS: Self.rounded(rates.messagesInPerSecond), messagesOutPerS: Self.rounded(rates.messagesOutPerSecond),
            deliveriesPerS: Self.rounded(rates.deliveriesPerSecond),
            totals: .init(received: received, delivered: delivered, framesOut: framesOut, droppedLow: droppedLow,
                          rateLimited: rateLimited, slowConsumers: slowConsumers, bytesIn: bytesIn, bytesOut: bytesOut),
            latency: latencies.map {
                .init(storeAck: .init($0.storeToAck), fanOutLocal: .init($0.fanOutLocal), fanOutRemote: .init($0.fanOutRemote))
            },
            shards: shards.map {
                .init(name: $0.name, address: $0.address, connected: $0.connected, outbox: $0.outbox,
                      commands: $0.commands, errors: $0.errors, refused: $0.refused, disconnects: $0.disconnects,
                      flushes: $0.batchSizes.count,
                      batchMean: Self.rounded($0.batchSizes.count > 0 ? Double($0.batchSizes.sum) / Double($0.batchSizes.count) : 0))
            },
            memory: .init(rssBytes: residentBytes, limitBytes: memoryLimitBytes),
            cpu: .init(percent: Self.rounded(rates.cpuPercent), seconds: cpuSeconds.map(Self.rounded)),
            level: levels.effective.rawValue, draining: draining)
    }

    /// Two decimals are plenty for rates and percentages.
    static func rounded(_ value: Double) -> Double {
        value.isFinite ? (value * 100).rounded() / 100 : 0
    }
}
