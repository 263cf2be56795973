import Dispatch
import Foundation
import Gateway
import Synchronization

/// The hand-off between gateway loops (`LoopMailbox`, GATEWAY_LOOPS): a producer thread
/// posts items in batches of `batch` to a consumer loop, which drains the mailbox on each
/// wake. Reports items per second and how many wakes it took.
enum MailboxBench {
    static func run(batch: Int, total: Int) throws -> (itemsPerSecond: Double, wakes: Int) {
        let loop = try EventLoop.start(name: "bench-mailbox")
        defer { loop.shutdown() }
        let mailbox = try LoopMailbox<Int>()
        let done = DispatchSemaphore(value: 0)
        let wakes = Atomic<Int>(0)
        loop.execute {
            let box = ConsumerState()
            let handler = MailboxHandler {
                wakes.add(1, ordering: .relaxed)
                mailbox.take(into: &box.spare)
                box.received += box.spare.count
                box.spare.removeAll(keepingCapacity: true)
                if box.received >= total { done.signal() }
            }
            try? loop.register(mailbox.wakeFd, events: Epoll.readable, handler: handler)
        }
        Thread.sleep(forTimeInterval: 0.05)
        let start = ContinuousClock.now
        var pending: [Int] = []
        pending.reserveCapacity(batch)
        for item in 0..<total {
            pending.append(item)
            if pending.count == batch { mailbox.post(&pending) }
        }
        mailbox.post(&pending)
        done.wait()
        return (Double(total) / LoopHopBench.seconds(start), wakes.load(ordering: .relaxed))
    }
}

/// The consumer's loop-thread state.
final class ConsumerState: @unchecked Sendable {
    var spare: [Int] = []
    var received = 0
}
