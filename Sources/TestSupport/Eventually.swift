import Foundation

/// Thrown by `eventually` when its condition did not hold in time.
public struct TimedOut: Error, CustomStringConvertible {
    /// What was waited for.
    public let what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
/// For waiting on asynchronous effects in tests; never for measuring time.
public func eventually(
    _ what: String = "condition",
    timeout: Duration = .seconds(10),
    poll: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: poll)
    }
    if try await condition() { return }
    throw TimedOut(what: what)
}
