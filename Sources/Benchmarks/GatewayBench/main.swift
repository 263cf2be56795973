// gateway-bench: measurements behind docs/architecture.md and docs/benchmarks.md.
// Build and run: swift build -c release --product gateway-bench && .build/release/gateway-bench
import Foundation

let rows = try await LoopHopBench.run()
for (name, value) in rows {
    let padded = name.padding(toLength: 52, withPad: " ", startingAt: 0)
    print("\(padded) \(Int(value))")
}
