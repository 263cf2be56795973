import Foundation
import Gateway
import Synchronization

/// An actor whose executor is an event loop.
actor LoopCounter {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    var count = 0
    init(loop: EventLoop) { self.loop = loop }
    func increment() -> Int {
        count += 1
        return count
    }
    /// Calls `other` (on the same loop) `n` times.
    func callPeer(_ other: LoopCounter, times n: Int) async -> Int {
        var last = 0
        for _ in 0..<n { last = await other.increment() }
        return last
    }
}

/// Measures the hand-offs docs/architecture.md compares.
enum LoopHopBench {
    static func seconds(_ start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func run() async throws -> [(String, Double)] {
        let loop = try EventLoop.start(name: "bench-loop")
        defer { loop.shutdown() }
        let target = LoopCounter(loop: loop)
        let peer = LoopCounter(loop: loop)
        var rows: [(String, Double)] = []

        // 1. One caller on the global pool awaiting into the loop actor, one call at a time.
        let single = 100_000
        var start = ContinuousClock.now
        var sum = 0
        for _ in 0..<single { sum &+= await target.increment() }
        rows.append(("await into loop actor, 1 caller (calls/s)", Double(single) / seconds(start)))

        // 2. 100 concurrent callers keep the loop's queue busy.
        let perCaller = 5_000
        start = ContinuousClock.now
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    var local = 0
                    for _ in 0..<perCaller { local &+= await target.increment() }
                    return local
                }
            }
            for await value in group { sum &+= value }
        }
        rows.append(("await into loop actor, 100 callers (calls/s)", Double(100 * perCaller) / seconds(start)))

        // 3. Actor to actor on the same loop executor.
        let peerCalls = 1_000_000
        start = ContinuousClock.now
        sum &+= await target.callPeer(peer, times: peerCalls)
        rows.append(("loop actor -> loop actor, same executor (calls/s)", Double(peerCalls) / seconds(start)))

        // 4. assumeIsolated from code already on the loop thread (how I/O handlers enter actors).
        let syncCalls = 1_000_000
        let result = Mutex<(Double, Int)>((0, 0))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                let begin = ContinuousClock.now
                var local = 0
                for _ in 0..<syncCalls { local &+= target.assumeIsolated { $0.increment() } }
                let rate = Double(syncCalls) / seconds(begin)
                result.withLock { $0 = (rate, local) }
                done.resume()
            }
        }
        let (rate, local) = result.withLock { $0 }
        sum &+= local
        rows.append(("assumeIsolated from a loop handler (calls/s)", rate))
        if sum == 42 { print("") }  // keeps the results alive
        return rows
    }
}
