import Synchronization

/// An ordered log of what test children did ("start a", "stop b", ...), shared by the
/// children of one test and read by the test.
final class EventLog: Sendable {
    private let lines = Mutex<[String]>([])

    /// Appends one line.
    func record(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Everything recorded so far.
    var entries: [String] { lines.withLock { $0 } }

    /// How many lines were recorded so far (a marker for `entries(since:)`).
    var count: Int { lines.withLock { $0.count } }

    /// The lines recorded after `marker` (a value of `count`).
    func entries(since marker: Int) -> [String] {
        lines.withLock { Array($0.dropFirst(marker)) }
    }

    /// How many times `line` was recorded.
    func occurrences(of line: String) -> Int {
        lines.withLock { $0.filter { $0 == line }.count }
    }
}

/// A one-shot gate: waiters block (ignoring cancellation) until it is opened.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Lets every waiter, present and future, through.
    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the gate is open; cancellation does not end the wait.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if passNow { continuation.resume() }
        }
    }
}

/// The error test children throw when told to fail.
struct InjectedFailure: Error, CustomStringConvertible {
    let id: String
    var description: String { "injected failure of \(id)" }
}
