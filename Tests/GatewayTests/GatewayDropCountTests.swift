import Actors
import Testing
import TestSupport
@testable import Gateway

/// The gateway's drop counters for `/metrics`: every LOW frame a budget drops (the new
/// one, or waiting ones making room for a higher frame), and the frame a slow consumer
/// could not take, by priority.
@Suite struct GatewayDropCountTests {
    @Test func budgetDropsAndSlowConsumerDropsAreCountedByPriority() async throws {
        let running = try await RunningGateway.start { $0.defaultBudget = 4096 }
        let client = try RawClient(port: running.port)
        _ = client.upgrade()
        try await eventually("open") { running.application.opened.withLock { $0 } == 1 }
        // All in one turn of the loop: nothing is flushed meanwhile, so the queue holds
        // exactly what the budget lets in.
        let outcomes = await running.gateway.queueForDropCounting()
        #expect(outcomes == [.queued, .queued, .queued, .queued, .droppedLow, .queued, .slowConsumer])
        let counters = running.gateway.counters
        // One LOW frame refused, then four waiting LOW frames dropped for the HIGH one.
        #expect(counters.droppedLow.load(ordering: .relaxed) == 5)
        #expect(counters.droppedOverBudget.count(.critical) == 1)
        #expect(counters.droppedOverBudget.total == 1)
        #expect(counters.slowConsumers.load(ordering: .relaxed) == 1)
        await running.stop()
    }
}

extension Gateway {
    /// Four LOW frames of 1,004 bytes fill a 4,096-byte budget; a fifth is dropped; a HIGH
    /// frame of 3,004 bytes makes room by dropping the four; a CRITICAL frame of 5,004
    /// bytes no longer fits: a slow consumer.
    fileprivate func queueForDropCounting() -> [SendOutcome] {
        guard let id = connections.compactMap({ $0 }).first(where: { $0.state == .webSocket })?.id else { return [] }
        let low = OutboundMessage(payload: [UInt8](repeating: 0x61, count: 1000), priority: .low)
        let high = OutboundMessage(payload: [UInt8](repeating: 0x62, count: 3000), priority: .high)
        let critical = OutboundMessage(payload: [UInt8](repeating: 0x63, count: 5000), priority: .critical)
        return (0..<5).map { _ in send(low, to: id) } + [send(high, to: id), send(critical, to: id)]
    }
}
