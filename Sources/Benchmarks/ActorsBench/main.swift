// actors-bench: throughput of the Mailbox next to a plain actor call and an AsyncStream,
// and the supervisor's restart latency. Build and run in release:
//
//     swift build -c release --product actors-bench && .build/release/actors-bench
//
// Top-level code runs on the main actor: the work is done in the actors of
// Throughput.swift and RestartLatency.swift, main only awaits the results.

let messages = 1_000_000
let rounds = 5
let restarts = 10_000

print("actors-bench: \(Report.grouped(messages)) messages per run, best of \(rounds) runs; \(Report.grouped(restarts)) restarts")
print("")

var best: [String: ThroughputResult] = [:]
var order: [String] = []
for _ in 0..<rounds {
    let results = [
        await Throughput.mailbox(messages), await Throughput.mailboxBatched(messages),
        await Throughput.actorCalls(messages), await Throughput.asyncStream(messages),
        await Throughput.mailboxAlone(messages),
    ]
    for result in results {
        if best[result.name] == nil { order.append(result.name) }
        if let previous = best[result.name], previous.elapsed <= result.elapsed { continue }
        best[result.name] = result
    }
}
print(Report.pad("hand-off between two actors", 30) + Report.pad("messages", 12, right: true)
    + Report.pad("time (ms)", 12, right: true) + Report.pad("msg/s", 14, right: true))
for name in order {
    guard let result = best[name] else { continue }
    print(Report.pad(name, 30) + Report.pad(Report.grouped(result.messages), 12, right: true)
        + Report.pad(Report.fixed(Report.seconds(result.elapsed) * 1000, 1), 12, right: true)
        + Report.pad(Report.grouped(Int(result.perSecond)), 14, right: true))
}
print("")

let restart = try await RestartLatency.measure(restarts)
print(Report.pad("restart (failure -> running)", 30) + Report.pad("restarts", 12, right: true)
    + Report.pad("p50 (µs)", 12, right: true) + Report.pad("p99 (µs)", 12, right: true)
    + Report.pad("max (µs)", 12, right: true) + Report.pad("restarts/s", 14, right: true))
print(Report.pad("oneForOne, no backoff", 30) + Report.pad(Report.grouped(restart.restarts), 12, right: true)
    + Report.pad(Report.fixed(Report.micros(restart.p50), 1), 12, right: true)
    + Report.pad(Report.fixed(Report.micros(restart.p99), 1), 12, right: true)
    + Report.pad(Report.fixed(Report.micros(restart.max), 1), 12, right: true)
    + Report.pad(Report.grouped(Int(Double(restart.restarts) / Report.seconds(restart.elapsed))), 14, right: true))
