// MARK: - Dynamic children (OTP supervisor:start_child/2 and friends)

/// A child as `whichChildren` lists it.
public struct ChildInfo: Sendable, Equatable {
    /// The child's id.
    public var id: String
    /// The child's path.
    public var path: ActorPath
    /// Worker or supervisor.
    public var kind: ChildKind
    /// Its restart policy.
    public var restart: RestartPolicy
    /// What it is doing.
    public var status: ChildStatus
    /// How many times it has been started.
    public var starts: Int
}

/// Counts as `countChildren` returns them (OTP's `specs`, `active`, `supervisors`, `workers`).
public struct ChildCounts: Sendable, Equatable {
    /// All child specs, running or not.
    public var specs: Int
    /// Children whose run loop is running.
    public var active: Int
    /// Children that are supervisors.
    public var supervisors: Int
    /// Children that are workers.
    public var workers: Int
}

extension Supervisor {
    /// A request to the supervisor's loop, with the caller waiting for its answer.
    enum Command: Sendable {
        case start(ChildSpec, CheckedContinuation<Void, any Error>)
        case terminate(String, CheckedContinuation<Void, any Error>)
        case restart(String, CheckedContinuation<Void, any Error>)
        case delete(String, CheckedContinuation<Void, any Error>)
        case kill(String, CheckedContinuation<Void, any Error>)

        var continuation: CheckedContinuation<Void, any Error> {
            switch self {
            case .start(_, let c), .terminate(_, let c), .restart(_, let c), .delete(_, let c), .kill(_, let c):
                return c
            }
        }

        func fail(_ error: any Error) { continuation.resume(throwing: error) }
    }

    /// Adds a child and starts it (for children started on demand, such as rooms).
    public func startChild(_ spec: ChildSpec) async throws {
        try await send { .start(spec, $0) }
    }

    /// Stops a child by its shutdown policy; its spec is kept unless it is temporary.
    public func terminateChild(_ id: String) async throws {
        try await send { .terminate(id, $0) }
    }

    /// Starts a terminated child again.
    public func restartChild(_ id: String) async throws {
        try await send { .restart(id, $0) }
    }

    /// Removes the spec of a terminated child.
    public func deleteChild(_ id: String) async throws {
        try await send { .delete(id, $0) }
    }

    /// Kills a running child as an injected failure: a worker is abandoned at once (brutal
    /// kill), a supervisor is cancelled and waited for (it stops its own children first);
    /// then it is handled as a failure by the strategy and restart intensity.
    public func killChild(_ id: String) async throws {
        try await send { .kill(id, $0) }
    }

    /// The children in start order.
    public func whichChildren() -> [ChildInfo] {
        children.map {
            ChildInfo(id: $0.spec.id, path: $0.path, kind: $0.spec.kind, restart: $0.spec.restart,
                      status: $0.status, starts: $0.starts)
        }
    }

    /// Counts of the children.
    public func countChildren() -> ChildCounts {
        ChildCounts(
            specs: children.count,
            active: children.filter { $0.status == .running }.count,
            supervisors: children.filter { $0.spec.kind == .supervisor }.count,
            workers: children.filter { $0.spec.kind == .worker }.count
        )
    }

    /// Whether `run()` is running.
    public var isRunning: Bool { running }

    private func send(_ make: (CheckedContinuation<Void, any Error>) -> Command) async throws {
        guard running else { throw SupervisorError.notRunning(path.description) }
        try await withCheckedThrowingContinuation { continuation in
            mailbox.send(.command(make(continuation)), priority: .high)
        }
    }

    func perform(_ command: Command) async {
        switch command {
        case .start(let spec, let reply):
            guard !children.contains(where: { $0.spec.id == spec.id }) else {
                return reply.resume(throwing: SupervisorError.alreadyPresent(spec.id))
            }
            children.append(Child(spec: spec, path: path.appending(spec.id)))
            startChild(at: children.count - 1)
            reply.resume()
        case .terminate(let id, let reply):
            guard let index = index(of: id) else { return reply.resume(throwing: SupervisorError.noSuchChild(id)) }
            await stopChild(at: index)
            if children[index].spec.restart == .temporary {
                registry.remove(children[index].path)
                children.remove(at: index)
            }
            reply.resume()
        case .restart(let id, let reply):
            guard let index = index(of: id) else { return reply.resume(throwing: SupervisorError.noSuchChild(id)) }
            guard children[index].status == .terminated else { return reply.resume(throwing: SupervisorError.running(id)) }
            startChild(at: index)
            reply.resume()
        case .delete(let id, let reply):
            guard let index = index(of: id) else { return reply.resume(throwing: SupervisorError.noSuchChild(id)) }
            guard children[index].status == .terminated else { return reply.resume(throwing: SupervisorError.running(id)) }
            registry.remove(children[index].path)
            children.remove(at: index)
            reply.resume()
        case .kill(let id, let reply):
            guard let index = index(of: id) else { return reply.resume(throwing: SupervisorError.noSuchChild(id)) }
            guard children[index].status == .running, let task = children[index].task else {
                return reply.resume(throwing: SupervisorError.notRunning(children[index].path.description))
            }
            let signal = children[index].signal
            children[index].detachTask()
            task.cancel()
            if children[index].spec.kind == .supervisor {
                // A supervisor cannot be left behind: its new run would find the killed one
                // still stopping its children (`SupervisorError.running`), and its children
                // would run twice. Wait for it to stop them.
                _ = await signal?.wait(upTo: nil, clock: clock)
            }
            reply.resume()
            await childExited(at: index, reason: .killed)
        }
    }

    private func index(of id: String) -> Int? {
        children.firstIndex { $0.spec.id == id }
    }
}
