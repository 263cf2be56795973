// MARK: - Descriptors and timers (loop thread only)

extension EventLoop {
    /// Registers `fd` for `events` with `handler`. Loop thread only.
    public func register(_ fd: Int32, events: UInt32, handler: EventLoopHandler) throws(SystemError) {
        precondition(inLoop, "register off the loop thread")
        try Epoll.add(epfd, fd, events: events)
        let index = Int(fd)
        if index >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: index - handlers.count + 1))
        }
        handlers[index] = handler
    }

    /// Changes the events `fd` is registered for. Loop thread only.
    public func reregister(_ fd: Int32, events: UInt32) throws(SystemError) {
        precondition(inLoop, "reregister off the loop thread")
        try Epoll.modify(epfd, fd, events: events)
    }

    /// Unregisters `fd` (before closing it). Loop thread only.
    public func deregister(_ fd: Int32) {
        precondition(inLoop, "deregister off the loop thread")
        try? Epoll.remove(epfd, fd)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Calls `body` once after `delay`. Loop thread only. Returns an id for `cancelTimer`.
    @discardableResult
    public func scheduleTimer(after delay: Duration, _ body: @escaping () -> Void) -> UInt64 {
        precondition(inLoop, "scheduleTimer off the loop thread")
        nextTimerID += 1
        let id = nextTimerID
        let nanos = UInt64(max(0, delay.components.seconds)) &* 1_000_000_000
            &+ UInt64(max(0, delay.components.attoseconds / 1_000_000_000))
        timers.push(.init(deadline: MonotonicClock.nanoseconds() &+ nanos, id: id))
        timerCallbacks[id] = body
        return id
    }

    /// Calls `body` every `interval` until `cancelTimer` is called with the returned id.
    @discardableResult
    public func scheduleRepeating(every interval: Duration, _ body: @escaping () -> Void) -> UInt64 {
        let box = RepeatingTimer(interval: interval, body: body)
        box.currentID = scheduleTimer(after: interval) { [unowned self] in self.fireRepeating(box) }
        box.handle = box.currentID
        repeating[box.handle] = box
        return box.handle
    }

    private func fireRepeating(_ box: RepeatingTimer) {
        box.body()
        guard !box.cancelled else { return }
        box.currentID = scheduleTimer(after: box.interval) { [unowned self] in self.fireRepeating(box) }
    }

    /// Cancels a timer (one-shot or repeating). Loop thread only.
    public func cancelTimer(_ id: UInt64) {
        timerCallbacks[id] = nil
        if let box = repeating.removeValue(forKey: id) {
            box.cancelled = true
            timerCallbacks[box.currentID] = nil
        }
    }

    /// Calls `body` at the end of every round of the loop (after handlers, timers and jobs):
    /// where batched writes are flushed. Loop thread only.
    public func onEveryRound(_ body: @escaping () -> Void) {
        precondition(inLoop, "onEveryRound off the loop thread")
        tickCallbacks.append(body)
    }

    func timeoutUntilNextTimer() -> Int32 {
        guard let next = timers.earliest else { return -1 }
        let now = MonotonicClock.nanoseconds()
        if next.deadline <= now { return 0 }
        let ms = (next.deadline - now + 999_999) / 1_000_000
        return Int32(min(ms, 60_000))
    }

    func runDueTimers() {
        let now = MonotonicClock.nanoseconds()
        while let next = timers.earliest, next.deadline <= now {
            _ = timers.pop()
            if let body = timerCallbacks.removeValue(forKey: next.id) { body() }
        }
    }
}

/// State of a repeating timer: it re-arms itself after each call.
final class RepeatingTimer {
    let interval: Duration
    let body: () -> Void
    var handle: UInt64 = 0
    var currentID: UInt64 = 0
    var cancelled = false

    init(interval: Duration, body: @escaping () -> Void) {
        self.interval = interval
        self.body = body
    }
}
