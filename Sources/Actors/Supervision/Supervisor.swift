import Synchronization

/// An OTP-style supervisor: starts its children in order, restarts them by its strategy
/// when they fail, stops them in reverse order, and gives up (escalating to its parent)
/// when they fail more often than its restart intensity allows.
///
/// ```
/// node (oneForOne)
/// ├── load-monitor
/// ├── shards (oneForOne) ── shard-1 link, shard-1 subscriber, ...
/// └── rooms (oneForOne, children started on demand)
/// ```
///
/// Everything that changes the set of children (exits, restarts, dynamic starts and
/// stops, operator kills) goes through one serial loop inside `run()`, so a restart
/// never interleaves with another. Children run as detached tasks; a child's exit comes
/// back as a CRITICAL event in the supervisor's own mailbox.
public actor Supervisor: Inspectable {
    /// Where this supervisor sits in the tree.
    public nonisolated let path: ActorPath
    /// Which siblings restart with a failed child.
    public nonisolated let strategy: RestartStrategy
    /// The registry this supervisor lists its children in.
    public nonisolated let registry: ActorRegistry

    let specs: [ChildSpec]
    let intensityLimit: RestartIntensity
    var intensity: RestartIntensity
    let backoff: Backoff
    let clock: any SupervisorClock
    nonisolated let mailbox = Mailbox<Event>(capacity: 1 << 40)
    nonisolated let processedCounter = Atomic<Int>(0)

    var children: [Child] = []
    var running = false
    var stopping = false
    var failure: SupervisorError?
    var lastFailure = ""
    var nextToken = 0
    var restartTimers: [Int: Task<Void, Never>] = [:]

    /// A supervisor at `path` with its static children, started in the order given.
    public init(
        path: ActorPath,
        strategy: RestartStrategy = .oneForOne,
        intensity: RestartIntensity = RestartIntensity(),
        backoff: Backoff = .none,
        registry: ActorRegistry,
        clock: any SupervisorClock = SystemSupervisorClock(),
        children: [ChildSpec] = []
    ) {
        self.path = path
        self.strategy = strategy
        self.intensityLimit = intensity
        self.intensity = intensity
        self.backoff = backoff
        self.registry = registry
        self.clock = clock
        self.specs = children
    }

    /// Runs the supervisor as the root of a tree until `stop()` (returns), cancellation
    /// (returns) or giving up (throws `SupervisorError.reachedMaxRestartIntensity`).
    public func run() async throws {
        try await run(context: nil)
    }

    /// Asks the running supervisor to stop its children in reverse order and return.
    public func stop() {
        guard running else { return }
        mailbox.send(.stop, priority: .critical)
    }

    func run(context: ChildContext?) async throws {
        guard !running else { throw SupervisorError.running(path.description) }
        running = true
        stopping = false
        failure = nil
        intensity = intensityLimit
        if let context {
            context.register(self)
        } else {
            registry.declare(path, kind: .supervisor, owner: nil)
            registry.markStarted(path, incarnation: 1)
            registry.attach(self, at: path, incarnation: 1)
        }
        children = specs.map { Child(spec: $0, path: path.appending($0.id)) }
        Log.info("supervisor.start", ["path": path.description, "children": String(children.count)])
        for index in children.indices where failure == nil {
            startChild(at: index)
        }
        while !stopping && failure == nil {
            guard let event = await mailbox.next() else { break }
            processedCounter.add(1, ordering: .relaxed)
            await handle(event)
        }
        await stopAllChildren()
        forgetDynamicChildren()
        if context == nil {
            // A root has no parent to record its exit: record it here.
            let reason: ExitReason = failure.map { .failure($0.description) } ?? .shutdown
            registry.markExited(path, reason: reason, status: .terminated)
        }
        running = false
        failPendingCommands()
        if let failure {
            Log.error("supervisor.give_up", ["path": path.description, "last_failure": lastFailure])
            throw failure
        }
        Log.info("supervisor.stop", ["path": path.description])
    }

    private func handle(_ event: Event) async {
        switch event {
        case .exited(let id, let token, let reason):
            guard let index = children.firstIndex(where: { $0.spec.id == id }),
                  children[index].token == token, children[index].status == .running
            else { return }
            children[index].detachTask()
            await childExited(at: index, reason: reason)
        case .restartDue(let timer, let ids):
            // A timer of an earlier run (cancelled when it stopped) is not ours any more.
            guard restartTimers.removeValue(forKey: timer) != nil else { return }
            startRestarting(ids)
        case .command(let command):
            await perform(command)
        case .stop:
            stopping = true
        }
    }

    /// Children started on demand end with the run that started them (a new run starts
    /// from the static children, as OTP's init does): drop them and their registry entries.
    private func forgetDynamicChildren() {
        let staticIDs = Set(specs.map(\.id))
        for child in children where !staticIDs.contains(child.spec.id) {
            registry.remove(child.path)
        }
        children.removeAll { !staticIDs.contains($0.spec.id) }
    }

    private func failPendingCommands() {
        while let event = mailbox.tryNext() {
            if case .command(let command) = event {
                command.fail(SupervisorError.notRunning(path.description))
            }
        }
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { mailbox.depth }
    public nonisolated var processed: Int { processedCounter.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        let active = children.filter { $0.status == .running }.count
        return "strategy=\(strategy.rawValue) children=\(children.count) running=\(active)"
            + " intensity=\(intensityLimit.maxRestarts)/\(intensityLimit.period)"
    }
}
