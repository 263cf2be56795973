import Foundation
import Synchronization

/// The registry of live actors: every child of every supervisor has an entry under its
/// path, kept across restarts, so an operator can list the tree and inspect one actor.
///
/// Supervisors keep the entries (status, restarts, last failure); a running child attaches
/// its `Inspectable` through its `ChildContext`. Look-ups never hop onto the actors except
/// to ask for a summary line.
public final class ActorRegistry: Sendable {
    struct Entry {
        var kind: ChildKind
        var sequence: Int
        var status: ChildStatus = .terminated
        var restarts = 0
        var lastFailure: FailureRecord?
        var startedAt: ContinuousClock.Instant?
        var incarnation = 0
        var inspectable: (any Inspectable)?
        weak var owner: Supervisor?
    }

    private struct State {
        var entries: [ActorPath: Entry] = [:]
        var sequence = 0
        /// Restarts performed by each supervisor (by its path), never decreasing: entries
        /// of removed children take their counts with them, this does not.
        var restartsBySupervisor: [ActorPath: Int] = [:]
    }

    private let state = Mutex(State())

    /// An empty registry.
    public init() {}

    // MARK: Maintained by supervisors

    func declare(_ path: ActorPath, kind: ChildKind, owner: Supervisor?) {
        state.withLock { state in
            if state.entries[path] == nil {
                state.sequence += 1
                state.entries[path] = Entry(kind: kind, sequence: state.sequence, owner: owner)
            }
        }
    }

    func markStarted(_ path: ActorPath, incarnation: Int) {
        update(path) { entry in
            entry.status = .running
            entry.startedAt = .now
            entry.incarnation = incarnation
            entry.inspectable = nil
        }
    }

    func markExited(_ path: ActorPath, reason: ExitReason, status: ChildStatus) {
        update(path) { entry in
            entry.status = status
            entry.startedAt = nil
            entry.inspectable = nil
            if reason.isAbnormal {
                let ms = Int64(Date().timeIntervalSince1970 * 1000)
                entry.lastFailure = FailureRecord(reason: reason.description, atMs: ms)
            }
        }
    }

    func markRestarted(_ path: ActorPath) {
        state.withLock { state in
            guard var entry = state.entries[path] else { return }
            entry.restarts += 1
            state.entries[path] = entry
            if let parent = path.parent { state.restartsBySupervisor[parent, default: 0] += 1 }
        }
    }

    func setStatus(_ path: ActorPath, _ status: ChildStatus) {
        update(path) { $0.status = status }
    }

    /// Removes `path` and everything below it.
    func remove(_ path: ActorPath) {
        state.withLock { state in
            state.entries = state.entries.filter { !$0.key.isDescendant(of: path) }
        }
    }

    func attach(_ inspectable: any Inspectable, at path: ActorPath, incarnation: Int) {
        update(path) { entry in
            if entry.incarnation == incarnation { entry.inspectable = inspectable }
        }
    }

    private func update(_ path: ActorPath, _ body: (inout Entry) -> Void) {
        state.withLock { state in
            if var entry = state.entries[path] {
                body(&entry)
                state.entries[path] = entry
            }
        }
    }

    // MARK: Look-ups

    /// Every registered path, in start order.
    public func paths() -> [ActorPath] {
        state.withLock { state in
            state.entries.sorted { $0.value.sequence < $1.value.sequence }.map(\.key)
        }
    }

    /// Restarts recorded for `path` (nil when unknown); no hop onto any actor.
    public func restarts(of path: ActorPath) -> Int? {
        state.withLock { $0.entries[path]?.restarts }
    }

    /// Status of `path` (nil when unknown); no hop onto any actor.
    public func status(of path: ActorPath) -> ChildStatus? {
        state.withLock { $0.entries[path]?.status }
    }

    /// Restarts performed by each supervisor since start (a counter: it never goes down,
    /// even when restarted children are removed), for every supervisor that restarted one.
    public func restartsBySupervisor() -> [ActorPath: Int] {
        state.withLock { $0.restartsBySupervisor }
    }

    /// Counters of every entry, in start order, read without hopping onto any actor (no
    /// summary or details): for metrics and quick listings.
    public func statistics() -> [ActorStatistics] {
        state.withLock { state in
            state.entries.sorted { $0.value.sequence < $1.value.sequence }.map { path, entry in
                ActorStatistics(
                    path: path, kind: entry.kind, status: entry.status, restarts: entry.restarts,
                    mailbox: entry.inspectable?.mailboxDepth ?? 0, processed: entry.inspectable?.processed ?? 0)
            }
        }
    }

    /// The snapshot of one actor, without its children.
    public func snapshot(_ path: ActorPath) async -> ActorSnapshot? {
        guard let entry = state.withLock({ $0.entries[path] }) else { return nil }
        return await Self.snapshot(path: path, entry: entry, children: [])
    }

    /// The snapshot of `root` with all its descendants nested, in start order.
    public func tree(_ root: ActorPath = .node) async -> ActorSnapshot? {
        let entries = state.withLock { $0.entries.filter { $0.key.isDescendant(of: root) } }
        guard entries[root] != nil else { return nil }
        return await build(root, entries: entries)
    }

    private func build(_ path: ActorPath, entries: [ActorPath: Entry]) async -> ActorSnapshot? {
        guard let entry = entries[path] else { return nil }
        let childPaths = entries
            .filter { $0.key.parent == path }
            .sorted { $0.value.sequence < $1.value.sequence }
            .map(\.key)
        var children: [ActorSnapshot] = []
        for child in childPaths {
            if let snap = await build(child, entries: entries) { children.append(snap) }
        }
        return await Self.snapshot(path: path, entry: entry, children: children)
    }

    private static func snapshot(path: ActorPath, entry: Entry, children: [ActorSnapshot]) async -> ActorSnapshot {
        let live = entry.inspectable
        let uptime: Int64 = entry.startedAt.map { start in
            let elapsed = ContinuousClock.now - start
            return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        } ?? 0
        return ActorSnapshot(
            path: path.description,
            kind: entry.kind,
            status: entry.status,
            summary: await live?.inspectionSummary() ?? "",
            details: await live?.inspectionDetails() ?? [:],
            mailbox: live?.mailboxDepth ?? 0,
            processed: live?.processed ?? 0,
            restarts: entry.restarts,
            lastFailure: entry.lastFailure,
            uptimeMs: uptime,
            children: children
        )
    }

    // MARK: Operator actions

    /// Kills the actor at `path` as an injected failure; its supervisor restarts it by its
    /// strategy (OTP `exit(Pid, kill)`).
    public func kill(_ path: ActorPath) async throws {
        let owner = state.withLock { $0.entries[path]?.owner }
        guard let owner else { throw SupervisorError.noSuchChild(path.description) }
        try await owner.killChild(path.name)
    }

    /// Stops the actor at `path` with its shutdown policy and starts it again (no failure
    /// is recorded and restart intensity is not charged).
    public func restart(_ path: ActorPath) async throws {
        let owner = state.withLock { $0.entries[path]?.owner }
        guard let owner else { throw SupervisorError.noSuchChild(path.description) }
        try await owner.terminateChild(path.name)
        try await owner.restartChild(path.name)
    }
}
