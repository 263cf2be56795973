/// When a child is restarted after it exits (OTP's `restart` field of a child spec).
public enum RestartPolicy: String, Sendable, Codable {
    /// Always restarted, even after a normal exit.
    case permanent
    /// Restarted only after an abnormal exit (failure or kill).
    case transient
    /// Never restarted; removed from its supervisor when it exits.
    case temporary

    /// Whether a child with this policy is restarted after `reason`.
    public func shouldRestart(after reason: ExitReason) -> Bool {
        switch (self, reason) {
        case (_, .shutdown): return false
        case (.permanent, _): return true
        case (.transient, let reason): return reason.isAbnormal
        case (.temporary, _): return false
        }
    }
}

/// How long a supervisor waits for a child to stop (OTP's `shutdown` field).
///
/// A Swift task cannot be killed: stopping means cancelling it and waiting. A child that
/// is still running when its budget runs out is *detached*: the supervisor forgets it,
/// counts it in `SupervisionStats.detachedChildren`, marks its registry entry `detached`,
/// and logs it. Its task still runs (and still counts in `SupervisionStats.liveChildTasks`)
/// until it notices cancellation; whatever it holds is released only then.
public enum ShutdownPolicy: Sendable, Equatable {
    /// Cancel and do not wait at all.
    case brutalKill
    /// Cancel and wait up to this long, then detach.
    case timeout(Duration)
    /// Cancel and wait as long as it takes (the default for supervisors).
    case infinity
}

/// Whether a child is a worker or a supervisor of its own children.
public enum ChildKind: String, Sendable, Codable {
    case worker
    case supervisor
}

/// Everything a supervisor needs to start, restart and stop one child (OTP's child spec).
///
/// `start` is the child's run loop. It runs until the child is done: returning is a
/// `normal` exit, throwing is a `failure`, and it should return soon after its task is
/// cancelled (that is how its supervisor stops it).
public struct ChildSpec: Sendable {
    /// Unique among the supervisor's children; the last component of the child's path.
    public var id: String
    /// When the child is restarted.
    public var restart: RestartPolicy
    /// How long stopping it may take.
    public var shutdown: ShutdownPolicy
    /// Worker or supervisor.
    public var kind: ChildKind
    /// The child's run loop.
    public var start: @Sendable (ChildContext) async throws -> Void

    /// A child spec; defaults are a permanent worker with five seconds to shut down.
    public init(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .timeout(.seconds(5)),
        kind: ChildKind = .worker,
        start: @escaping @Sendable (ChildContext) async throws -> Void
    ) {
        self.id = id
        self.restart = restart
        self.shutdown = shutdown
        self.kind = kind
        self.start = start
    }

    /// A child that is itself a supervisor: it runs `supervisor.run()`, and is given as
    /// long as it needs to stop its own children.
    public static func supervisor(_ supervisor: Supervisor, restart: RestartPolicy = .permanent) -> ChildSpec {
        ChildSpec(id: supervisor.path.name, restart: restart, shutdown: .infinity, kind: .supervisor) { context in
            try await supervisor.run(context: context)
        }
    }
}

/// What a running child knows about its place in the tree.
public struct ChildContext: Sendable {
    /// The child's path, e.g. `/node/rooms/42`.
    public let path: ActorPath
    /// How many times this child has been started (1 for the first start).
    public let incarnation: Int
    /// The registry the child is listed in.
    public let registry: ActorRegistry

    /// Publishes the child's live state (mailbox depth, summary) for inspection.
    /// Cleared automatically when this incarnation exits.
    public func register(_ inspectable: any Inspectable) {
        registry.attach(inspectable, at: path, incarnation: incarnation)
    }
}
