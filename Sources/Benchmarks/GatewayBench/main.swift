// gateway-bench: measurements behind docs/architecture.md and docs/benchmarks.md.
// Build and run: swift build -c release --product gateway-bench && .build/release/gateway-bench
import Foundation

let rows = try await LoopHopBench.run()
for (name, value) in rows {
    let padded = name.padding(toLength: 52, withPad: " ", startingAt: 0)
    print("\(padded) \(Int(value))")
}
for batch in [1, 100] {
    let (rate, wakes) = try MailboxBench.run(batch: batch, total: 2_000_000)
    let name = "mailbox between loops, batches of \(batch) (items/s)".padding(toLength: 52, withPad: " ", startingAt: 0)
    print("\(name) \(Int(rate))  (\(wakes) wakes for 2,000,000 items)")
}
