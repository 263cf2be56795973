// MARK: - Starting, stopping and restarting children

extension Supervisor {
    /// One child as its supervisor tracks it.
    struct Child {
        var spec: ChildSpec
        var path: ActorPath
        var status: ChildStatus = .terminated
        var task: Task<Void, Never>?
        var signal: ExitSignal?
        var token = 0
        var starts = 0
        var startedAt: Duration = .zero
        var consecutiveFailures = 0

        /// Forgets the running task, so that its exit event is ignored when it comes.
        mutating func detachTask() {
            task = nil
            signal = nil
            token = 0
        }
    }

    /// What the supervisor's loop handles, one at a time.
    enum Event: Sendable {
        case exited(id: String, token: Int, reason: ExitReason)
        /// The backoff of these children has passed: start those still waiting for it.
        case restartDue(timer: Int, ids: Set<String>)
        case command(Command)
        case stop
    }

    func startChild(at index: Int) {
        nextToken += 1
        let token = nextToken
        children[index].token = token
        children[index].starts += 1
        children[index].status = .running
        children[index].startedAt = clock.now()
        let signal = ExitSignal()
        children[index].signal = signal
        let child = children[index]
        registry.declare(child.path, kind: child.spec.kind, owner: self)
        registry.markStarted(child.path, incarnation: child.starts)
        if child.starts > 1 {
            registry.markRestarted(child.path)
            SupervisionStats.childRestarted()
        }
        let context = ChildContext(path: child.path, incarnation: child.starts, registry: registry)
        let mailbox = self.mailbox
        let start = child.spec.start
        let id = child.spec.id
        SupervisionStats.childTaskStarted()
        children[index].task = Task.detached {
            let reason: ExitReason
            do {
                try await start(context)
                reason = Task.isCancelled ? .shutdown : .normal
            } catch {
                reason = Task.isCancelled ? .shutdown : .failure(String(describing: error))
            }
            SupervisionStats.childTaskEnded()
            signal.fire()
            mailbox.send(.exited(id: id, token: token, reason: reason), priority: .critical)
        }
    }

    /// Stops one child by its shutdown policy; a child past its budget is detached.
    func stopChild(at index: Int) async {
        let child = children[index]
        guard child.status == .running, let task = child.task, let signal = child.signal else {
            if child.status == .restarting { registry.setStatus(child.path, .terminated) }
            children[index].status = .terminated
            return
        }
        children[index].detachTask()
        task.cancel()
        let exited: Bool
        switch child.spec.shutdown {
        case .brutalKill: exited = true
        case .timeout(let budget): exited = await signal.wait(upTo: budget, clock: clock)
        case .infinity: exited = await signal.wait(upTo: nil, clock: clock)
        }
        children[index].status = .terminated
        registry.markExited(child.path, reason: .shutdown, status: exited ? .terminated : .detached)
        if !exited {
            SupervisionStats.childDetached()
            Log.warn("child.detached", ["path": child.path.description, "why": "ignored its shutdown budget"])
        }
    }

    func stopAllChildren() async {
        for timer in restartTimers.values { timer.cancel() }
        restartTimers.removeAll()
        for index in children.indices.reversed() {
            await stopChild(at: index)
        }
    }

    /// Decides what a child's exit means: nothing, a restart by the strategy, or giving up.
    func childExited(at index: Int, reason: ExitReason) async {
        let child = children[index]
        let willRestart = child.spec.restart.shouldRestart(after: reason)
        registry.markExited(child.path, reason: reason, status: willRestart ? .restarting : .terminated)
        if reason.isAbnormal {
            Log.warn("child.exit", ["path": child.path.description, "reason": reason.description])
        }
        guard willRestart else {
            children[index].status = .terminated
            if child.spec.restart == .temporary {
                registry.remove(child.path)
                children.remove(at: index)
            }
            return
        }
        lastFailure = "\(child.path): \(reason)"
        guard intensity.recordRestart(at: clock.now()) else {
            // Giving up: the child will not be restarted, so it must not stay "restarting".
            children[index].status = .terminated
            registry.setStatus(child.path, .terminated)
            failure = .reachedMaxRestartIntensity(path: path.description, lastFailure: lastFailure)
            return
        }
        if backoff.resets(afterRunningFor: clock.now() - child.startedAt) {
            children[index].consecutiveFailures = 0
        }
        children[index].consecutiveFailures += 1
        let delay = backoff.delay(forAttempt: children[index].consecutiveFailures)
        await restart(plan: strategy.plan(failed: index, count: children.count), failed: index, after: delay)
    }

    private func restart(plan: RestartPlan, failed: Int, after delay: Duration) async {
        var restartIDs: Set<String> = [children[failed].spec.id]
        var dropIDs: [String] = []
        for sibling in plan.toStop where children[sibling].status == .running {
            await stopChild(at: sibling)
            if children[sibling].spec.restart == .temporary {
                dropIDs.append(children[sibling].spec.id)
            } else {
                restartIDs.insert(children[sibling].spec.id)
            }
        }
        for index in plan.toStart where restartIDs.contains(children[index].spec.id) {
            children[index].status = .restarting
            registry.setStatus(children[index].path, .restarting)
        }
        for id in dropIDs {
            if let index = children.firstIndex(where: { $0.spec.id == id }) {
                registry.remove(children[index].path)
                children.remove(at: index)
            }
        }
        let ids = restartIDs
        if delay == .zero {
            startRestarting(ids)
        } else {
            let mailbox = self.mailbox
            let clock = self.clock
            nextToken += 1
            let timer = nextToken
            restartTimers[timer] = Task.detached {
                do { try await clock.sleep(for: delay) } catch { return }
                mailbox.send(.restartDue(timer: timer, ids: ids), priority: .critical)
            }
        }
    }

    /// Starts, in start order, the children among `ids` that still wait for their restart.
    /// Only those: another child may still be waiting for a longer backoff of its own.
    func startRestarting(_ ids: Set<String>) {
        for index in children.indices where children[index].status == .restarting && ids.contains(children[index].spec.id) {
            startChild(at: index)
        }
    }
}
