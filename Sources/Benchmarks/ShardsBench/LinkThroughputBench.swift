import Actors
import Foundation
import Gateway
import Shards
import TestSupport

/// One measured way of sending commands.
struct BenchRow {
    let name: String
    let commands: Int
    let best: Duration
    var perSecond: Double { Double(commands) / LinkThroughputBench.seconds(best) }
}

/// Commands per second through one `ShardLink` (and through a `ClusterClient` over a
/// one-master cluster, for the cost of routing by slot), each way best of three runs.
///
/// ```
/// one at a time, await each       a task off the loop awaits every reply: thread hop + RTT
/// one at a time, on the loop      the next command leaves from the previous one's completion
/// 100 callers, await each         100 tasks: the loop round batches what they queued
/// window of 1,000, on the loop    1,000 commands outstanding, topped up from completions
/// batches of 100, await each      one caller, 100 commands per submit
/// ```
enum LinkThroughputBench {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func run() async throws -> [BenchRow] {
        Log.currentLevel = .error
        let server = try ValkeyServer()
        let clusterServer = try ValkeyServer(arguments: ["--cluster-enabled", "yes"])
        _ = try clusterServer.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        let loop = try EventLoop.start(name: "bench-loop")
        defer { loop.shutdown() }
        let link = ShardLink(name: "bench", host: "127.0.0.1", port: server.port, loop: loop)
        let supervisor = Supervisor(path: ActorPath(components: ["bench"]), registry: ActorRegistry(), children: [
            ChildSpec(id: "link") { _ in try await link.run() },
        ])
        let running = Task { try await supervisor.run() }
        try await eventually("link connected") { await link.isConnected }
        let cluster = ClusterClient(seeds: [ValkeyAddress(host: "127.0.0.1", port: clusterServer.port)], loop: loop, supervisor: supervisor)
        await cluster.start()
        try await eventually("cluster known") { await cluster.coveredSlotCount == HashSlot.count }

        var encoder = RESPEncoder()
        encoder.command("SET", "room:{7}:bench", "a value of thirty-two bytes.....")
        let set = encoder.take()
        for _ in 0..<100 { encoder.command("SET", "room:{7}:bench", "a value of thirty-two bytes.....") }
        let hundred = encoder.take()
        let key = Array("room:{7}:bench".utf8)

        var rows: [BenchRow] = []
        func measure(_ name: String, commands: Int, _ body: () async throws -> Void) async throws {
            try await body()  // warm-up
            var best = Duration.seconds(3600)
            for _ in 0..<3 {
                let start = ContinuousClock.now
                try await body()
                best = min(best, ContinuousClock.now - start)
            }
            rows.append(BenchRow(name: name, commands: commands, best: best))
        }

        try await measure("one at a time, await each", commands: 10_000) {
            for _ in 0..<10_000 { _ = try await link.execute(set, commands: 1) }
        }
        try await measure("one at a time, on the loop", commands: 20_000) {
            try await window(1, total: 20_000, on: loop) { completion in
                link.assumeIsolated { $0.submit(set, commands: 1, completion: completion) }
            }
        }
        try await measure("100 callers, await each", commands: 200_000) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask { for _ in 0..<2_000 { _ = try await link.execute(set, commands: 1) } }
                }
                try await group.waitForAll()
            }
        }
        try await measure("window of 1,000, on the loop", commands: 500_000) {
            try await window(1_000, total: 500_000, on: loop) { completion in
                link.assumeIsolated { $0.submit(set, commands: 1, completion: completion) }
            }
        }
        try await measure("batches of 100, await each", commands: 500_000) {
            for _ in 0..<5_000 { _ = try await link.execute(hundred, commands: 100) }
        }
        try await measure("cluster client, window of 1,000", commands: 500_000) {
            try await window(1_000, total: 500_000, on: loop) { completion in
                cluster.assumeIsolated { $0.submit(set, commands: 1, key: key, completion: completion) }
            }
        }
        await supervisor.stop()
        try await running.value
        return rows
    }

    /// Keeps `width` single-command submissions outstanding on the loop until `total` have
    /// completed; every completion submits the next one. Throws if any failed.
    static func window(
        _ width: Int, total: Int, on loop: EventLoop,
        submit: @escaping @Sendable (_ completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool
    ) async throws {
        let failures = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
            loop.execute {
                let state = WindowState(loop: loop, total: total, submit: submit, done: done)
                state.assumeIsolated { state in
                    for _ in 0..<min(width, total) { state.next() }
                }
            }
        }
        if failures > 0 { throw ShardLinkError.unexpectedReply("\(failures) commands failed") }
    }

    static func print(_ rows: [BenchRow]) {
        let baseline = rows.first?.perSecond ?? 1
        Swift.print(pad("way (best of 3)", 34) + pad("commands", 10, right: true) + pad("time (ms)", 12, right: true)
            + pad("commands/s", 14, right: true) + pad("x first", 10, right: true))
        for row in rows {
            Swift.print(pad(row.name, 34) + pad(grouped(row.commands), 10, right: true)
                + pad(fixed(seconds(row.best) * 1000, 1), 12, right: true)
                + pad(grouped(Int(row.perSecond)), 14, right: true) + pad(fixed(row.perSecond / baseline, 1), 10, right: true))
        }
    }

    // MARK: Formatting (no Foundation `String(format:)`)

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, char) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(char)
        }
        return out
    }

    static func fixed(_ value: Double, _ places: Int) -> String {
        let scale = places == 0 ? 1 : (1...places).reduce(1) { value, _ in value * 10 }
        let scaled = Int((value * Double(scale)).rounded())
        guard places > 0 else { return String(scaled) }
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

/// A window of submissions, an actor on the loop like a room: completions come back into
/// it with `assumeIsolated`, the pattern callers of `submit` use (a completion is `sending`,
/// so it carries only Sendable references, not the caller's state).
private actor WindowState {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    let total: Int
    let submit: @Sendable (_ completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool
    let done: CheckedContinuation<Int, Never>
    var sent = 0
    var completed = 0
    var failures = 0

    init(loop: EventLoop, total: Int,
         submit: @escaping @Sendable (_ completion: sending @escaping (Result<[RESPValue], ShardLinkError>) -> Void) -> Bool,
         done: CheckedContinuation<Int, Never>) {
        self.loop = loop
        self.total = total
        self.submit = submit
        self.done = done
    }

    func next() {
        guard sent < total else { return }
        sent += 1
        let accepted = submit(Self.completion(self))
        if !accepted { finished(failed: true) }
    }

    /// A completion that enters `state` on the loop; it holds `state` strongly (nothing
    /// else keeps the window alive). Formed outside the actor, so it is free to send.
    private nonisolated static func completion(_ state: WindowState) -> (Result<[RESPValue], ShardLinkError>) -> Void {
        { result in state.assumeIsolated { $0.finished(failed: (try? result.get()) == nil) } }
    }

    private func finished(failed: Bool) {
        if failed { failures += 1 }
        completed += 1
        if completed == total { done.resume(returning: failures) } else { next() }
    }
}
