import Actors
import Synchronization
import TestSupport

/// A supervisor whose `run()` runs in a task of its own, with its outcome kept for the test.
final class RunningSupervisor: Sendable {
    let supervisor: Supervisor
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    private init(_ supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    /// Starts `supervisor.run()` and waits until it runs.
    static func start(_ supervisor: Supervisor) async throws -> RunningSupervisor {
        let running = RunningSupervisor(supervisor)
        Task {
            do {
                try await supervisor.run()
                running.outcome.withLock { $0 = .success(()) }
            } catch {
                running.outcome.withLock { $0 = .failure(error) }
            }
        }
        try await eventually("\(supervisor.path) running") { await supervisor.isRunning }
        return running
    }

    /// Whether `run()` has returned or thrown.
    var hasFinished: Bool { outcome.withLock { $0 != nil } }

    /// Waits for `run()` to end and returns how it ended.
    func finished(timeout: Duration = .seconds(5)) async throws -> Result<Void, any Error> {
        try await eventually("\(supervisor.path) finished", timeout: timeout) { hasFinished }
        return try outcome.withLock { outcome in
            guard let outcome else { throw NoOutcome() }
            return outcome
        }
    }

    /// The error `run()` threw, nil when it returned.
    func error(timeout: Duration = .seconds(5)) async throws -> (any Error)? {
        if case .failure(let error) = try await finished(timeout: timeout) { return error }
        return nil
    }

    /// Stops the supervisor and waits for `run()` to return.
    @discardableResult
    func stop() async throws -> Result<Void, any Error> {
        await supervisor.stop()
        return try await finished()
    }
}

struct NoOutcome: Error {}

/// The counts of `countChildren` as `[specs, active, supervisors, workers]`.
func counts(_ sup: Supervisor) async -> [Int] {
    let counts = await sup.countChildren()
    return [counts.specs, counts.active, counts.supervisors, counts.workers]
}

/// The status of child `id` as its supervisor lists it.
func status(of id: String, in supervisor: Supervisor) async -> ChildStatus? {
    await supervisor.whichChildren().first { $0.id == id }?.status
}

/// How many times child `id` was started.
func starts(of id: String, in supervisor: Supervisor) async -> Int? {
    await supervisor.whichChildren().first { $0.id == id }?.starts
}

/// A path that must parse.
func path(_ text: String) -> ActorPath {
    ActorPath(text) ?? ActorPath(components: ["invalid"])
}
