import Testing

/// Keeps tests that read the process-wide `SupervisionStats` counters apart from tests
/// that start supervised children.
///
/// Swift Testing runs suites in parallel and `.serialized` only orders the tests of one
/// suite, so a leak check comparing `SupervisionStats.liveChildTasks` before and after
/// would see other suites' children come and go. Suites that start children take this
/// lock shared (`.supervisedChildren`); a test that reads the global counters takes it
/// exclusive (`.exclusiveSupervisionStats`) and so runs alone among them.
actor SupervisionStatsLock {
    static let shared = SupervisionStatsLock()

    private var readers = 0
    private var writer = false
    private var queue: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(exclusive: Bool) async {
        if queue.isEmpty && canEnter(exclusive: exclusive) {
            enter(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { queue.append((exclusive, $0)) }
    }

    func release(exclusive: Bool) {
        if exclusive { writer = false } else { readers -= 1 }
        while let first = queue.first, canEnter(exclusive: first.exclusive) {
            queue.removeFirst()
            enter(exclusive: first.exclusive)
            first.continuation.resume()
        }
    }

    private func canEnter(exclusive: Bool) -> Bool {
        exclusive ? (!writer && readers == 0) : !writer
    }

    private func enter(exclusive: Bool) {
        if exclusive { writer = true } else { readers += 1 }
    }
}

/// The trait that wraps each test of a suite in the lock (see `SupervisionStatsLock`).
struct SupervisionStatsTrait: SuiteTrait, TestTrait, TestScoping {
    let exclusive: Bool

    var isRecursive: Bool { true }

    /// Each test case, once: the library also asks for the test function as a whole
    /// (with no case), and taking the lock there too would deadlock an exclusive test.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> SupervisionStatsTrait? {
        testCase == nil ? nil : self
    }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        await SupervisionStatsLock.shared.acquire(exclusive: exclusive)
        do {
            try await function()
        } catch {
            await SupervisionStatsLock.shared.release(exclusive: exclusive)
            throw error
        }
        await SupervisionStatsLock.shared.release(exclusive: exclusive)
    }
}

extension Trait where Self == SupervisionStatsTrait {
    /// The suite starts supervised children: it must not overlap a global-counter check.
    static var supervisedChildren: Self { SupervisionStatsTrait(exclusive: false) }
    /// The suite reads the global `SupervisionStats`: no other supervised children meanwhile.
    static var exclusiveSupervisionStats: Self { SupervisionStatsTrait(exclusive: true) }
}
