/// An actor that can be inspected live: what it is doing, without stopping it.
///
/// `mailboxDepth` and `processed` must be readable from any thread without a hop onto the
/// actor (keep them in atomics); `inspectionSummary` may hop onto the actor.
public protocol Inspectable: AnyObject, Sendable {
    /// Messages waiting to be handled.
    var mailboxDepth: Int { get }
    /// Messages handled since this incarnation started.
    var processed: Int { get }
    /// One line of state, e.g. `members=12 subscribers=3 rate=40/min hot=false`.
    func inspectionSummary() async -> String
    /// Details for `inspect`, as string key-values (may be empty).
    func inspectionDetails() async -> [String: String]
}

extension Inspectable {
    /// No details beyond the summary by default.
    public func inspectionDetails() async -> [String: String] { [:] }
}

/// The state of a child as its supervisor sees it.
public enum ChildStatus: String, Sendable, Codable {
    /// Its run loop is running.
    case running
    /// It failed and waits for its restart (backoff).
    case restarting
    /// Stopped by its supervisor or exited without restart; its spec is kept.
    case terminated
    /// It ignored its shutdown budget and was left behind (see `ShutdownPolicy`).
    case detached
}

/// The last failure of an actor.
public struct FailureRecord: Sendable, Codable, Equatable {
    /// The exit reason as text.
    public var reason: String
    /// Wall-clock time of the failure, milliseconds since the epoch.
    public var atMs: Int64
}

/// A point-in-time view of one actor and, for a tree listing, of its children.
public struct ActorSnapshot: Sendable, Codable, Equatable {
    /// The actor's path as text.
    public var path: String
    /// `worker` or `supervisor`.
    public var kind: ChildKind
    /// Running, restarting, terminated or detached.
    public var status: ChildStatus
    /// One line of state from the actor itself.
    public var summary: String
    /// Extra details from the actor itself.
    public var details: [String: String]
    /// Messages waiting.
    public var mailbox: Int
    /// Messages handled by the current incarnation.
    public var processed: Int
    /// Restarts since the entry was created.
    public var restarts: Int
    /// The last failure, if any.
    public var lastFailure: FailureRecord?
    /// Milliseconds since the current incarnation started (0 when not running).
    public var uptimeMs: Int64
    /// Child snapshots (tree listings only).
    public var children: [ActorSnapshot]
}

/// The counters of one actor, read without hopping onto it (see `ActorRegistry.statistics`).
public struct ActorStatistics: Sendable, Equatable {
    /// The actor's path.
    public var path: ActorPath
    /// `worker` or `supervisor`.
    public var kind: ChildKind
    /// Running, restarting, terminated or detached.
    public var status: ChildStatus
    /// Restarts since the entry was created.
    public var restarts: Int
    /// Messages waiting.
    public var mailbox: Int
    /// Messages handled by the current incarnation.
    public var processed: Int
}
