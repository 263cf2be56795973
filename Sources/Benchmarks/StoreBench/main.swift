// store-bench: store-and-ack latency through ValkeyChatStore and the shard links
// (issue 4): messages at a fixed rate spread over rooms and three local Valkey shards;
// latency from `append` to its completion (what a sender's ack waits for).
//
//   swift build -c release --product store-bench
//   .build/release/store-bench [rate=10000] [seconds=10] [rooms=100]
// Needs valkey-server: CHAT_VALKEY_SERVER, else .venv/bin/valkey-server.
import Actors
import Foundation
import Gateway
import Rooms
import Shards
import Synchronization

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let rate = arguments.first ?? 10_000
let seconds = arguments.dropFirst().first ?? 10
let roomCount = arguments.dropFirst(2).first ?? 100

let servers = try (0..<3).map { _ in try BenchValkey() }
defer { servers.forEach { $0.stop() } }
let loop = try EventLoop.start(name: "store-bench")
let links = servers.enumerated().map { ShardLink(name: "shard-\($0.offset + 1)", host: "127.0.0.1", port: $0.element.port, loop: loop) }
let runs = links.map { link in Task { try await link.run() } }
while true {
    var connected = 0
    for link in links where await link.isConnected { connected += 1 }
    if connected == links.count { break }
    try await Task.sleep(for: .milliseconds(20))
}

let results = BenchResults()
guard let router = try? ShardRouter(shardCount: 3) else { fatalError("shard router") }
let finished = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
    loop.execute {
        let submitter = ValkeySubmitter.shardMap(router: router, links: links)
        let store = ValkeyChatStore(configuration: .init(historyMax: 1000), submit: submitter.submit, now: WallClock.nowMs)
        var generator = MessageIDGenerator(nodeID: 1)
        let total = rate * seconds
        var sent = 0
        var completed = 0
        let perTick = max(1, rate / 1000)
        let text = String(repeating: "x", count: 64)
        let start = MonotonicClock.nanoseconds()
        var timer: UInt64 = 0
        timer = loop.scheduleRepeating(every: .milliseconds(1)) {
            // Catch up to the schedule: rate per second, in 1 ms ticks.
            let due = min(total, Int(Double(MonotonicClock.nanoseconds() - start) / 1e9 * Double(rate)))
            var batch = 0
            while sent < due && batch < perTick * 20 {
                let room = UInt32(sent % roomCount)
                let now = WallClock.nowMs()
                let message = StoredMessage(id: generator.next(nowMs: now), from: 1, ts: now, text: text)
                let begin = MonotonicClock.nanoseconds()
                store.append(message, to: .room(room)) { result in
                    if case .failure(let error) = result { results.fail(String(describing: error)) }
                    results.record(MonotonicClock.nanoseconds() - begin, ok: (try? result.get()) != nil)
                    completed += 1
                    if completed == total {
                        loop.cancelTimer(timer)
                        done.resume(returning: completed)
                    }
                }
                sent += 1
                batch += 1
            }
        }
    }
}
runs.forEach { $0.cancel() }
loop.shutdown()
results.report(messages: finished, rate: rate, seconds: seconds, rooms: roomCount)

/// Latencies in nanoseconds, collected on the loop thread.
final class BenchResults: @unchecked Sendable {
    private var latencies: [UInt64] = []
    private var failures = 0
    private var reasons: [String: Int] = [:]

    func fail(_ reason: String) { reasons[String(reason.prefix(120)), default: 0] += 1 }

    func record(_ nanoseconds: UInt64, ok: Bool) {
        latencies.append(nanoseconds)
        if !ok { failures += 1 }
    }

    func report(messages: Int, rate: Int, seconds: Int, rooms: Int) {
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        print("store-and-ack through ValkeyChatStore, 3 local shards, \(rooms) rooms, \(rate) msg/s for \(seconds) s")
        print("messages \(messages)  failures \(failures)")
        for (reason, count) in reasons.sorted(by: { $0.value > $1.value }).prefix(5) { print("  \(count)x \(reason)") }
        print(String(format: "latency ms: p50 %.3f  p95 %.3f  p99 %.3f  max %.3f",
                     percentile(0.50), percentile(0.95), percentile(0.99), percentile(1.0)))
    }
}

/// A throwaway valkey-server on a free loopback port.
final class BenchValkey: @unchecked Sendable {
    let port: Int
    private let process = Process()

    init() throws {
        port = Int.random(in: 20000..<30000)
        let binary = ProcessInfo.processInfo.environment["CHAT_VALKEY_SERVER"]
            ?? FileManager.default.currentDirectoryPath + "/.venv/bin/valkey-server"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
