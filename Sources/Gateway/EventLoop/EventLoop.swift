@preconcurrency import Glibc
import CLinux
import Foundation
import Synchronization
import Actors

/// Something registered on an event loop for readiness events of one descriptor.
/// Called on the loop's thread only.
public protocol EventLoopHandler: AnyObject {
    /// `events` is a mask of `Epoll.readable`, `Epoll.writable`, `Epoll.error`, ...
    func handleEvents(_ events: UInt32)
}

/// A readiness loop on epoll, on a thread of its own, that is also a serial executor.
///
/// Actors whose `unownedExecutor` is this loop run their jobs on the loop's thread, between
/// rounds of I/O: a call between two such actors never crosses a thread, and an I/O handler
/// may enter one synchronously with `assumeIsolated` (TOOLCHAIN.md: a thread crossing costs
/// about 15 µs, a same-executor call 0.1 µs). Jobs from other threads are queued under a
/// lock; the eventfd doorbell is rung only when the queue goes from empty to non-empty.
///
/// ```
/// loop: epoll_wait(timeout = next timer) -> handlers -> due timers -> queued jobs -> repeat
/// ```
public final class EventLoop: SerialExecutor, @unchecked Sendable {
    /// The loop's name (thread name, logs).
    public let name: String
    let epfd: Int32
    let wakeFd: Int32
    private let jobs = Mutex<[UnownedJob]>([])
    private let threadID = Atomic<UInt>(0)
    private let stopping = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)
    private let finishedCondition = NSCondition()

    // Loop-thread state: touched only on the loop's thread.
    var handlers: [EventLoopHandler?] = []
    var timers = TimerHeap()
    var timerCallbacks: [UInt64: () -> Void] = [:]
    var nextTimerID: UInt64 = 0
    var tickCallbacks: [() -> Void] = []
    var repeating: [UInt64: RepeatingTimer] = [:]

    /// Starts a loop on a new thread.
    public static func start(name: String = "loop") throws(SystemError) -> EventLoop {
        let loop = try EventLoop(name: name)
        let thread = Thread {
            // The OS name (at most 15 bytes) shows in /proc/self/task/*/comm, top -H and
            // the per-loop CPU of /metrics; Foundation's `Thread.name` does not set it on Linux.
            _ = chat_set_thread_name(name)
            loop.runLoop()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
        while loop.threadID.load(ordering: .acquiring) == 0 { sched_yield() }
        return loop
    }

    private init(name: String) throws(SystemError) {
        self.name = name
        self.epfd = try Epoll.create()
        do {
            self.wakeFd = try EventFd.create()
            try Epoll.add(epfd, wakeFd, events: Epoll.readable)
        } catch {
            Syscall.close(epfd)
            throw error
        }
    }

    deinit {
        Syscall.close(wakeFd)
        Syscall.close(epfd)
    }

    /// True on the loop's own thread.
    public var inLoop: Bool { threadID.load(ordering: .relaxed) == chat_thread_id() }

    // MARK: SerialExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let wasEmpty = jobs.withLock { queue -> Bool in
            queue.append(unowned)
            return queue.count == 1
        }
        if wasEmpty && !inLoop { EventFd.signal(wakeFd) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(inLoop, "not on event loop \(name)")
    }

    // MARK: Running closures

    /// Runs `body` on the loop's thread soon (from any thread).
    public func execute(_ body: @escaping @Sendable () -> Void) {
        Task { await LoopHop(loop: self).run(body) }
    }

    /// Stops the loop after its current round; handlers are not closed.
    public func shutdown() {
        stopping.store(true, ordering: .releasing)
        EventFd.signal(wakeFd)
    }

    /// Waits until the loop's thread has finished (after `shutdown`).
    public func waitUntilFinished() {
        finishedCondition.lock()
        while !finished.withLock({ $0 }) { finishedCondition.wait() }
        finishedCondition.unlock()
    }

    // MARK: The loop

    private func runLoop() {
        threadID.store(chat_thread_id(), ordering: .releasing)
        let capacity: Int32 = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            let hasJobs = jobs.withLock { !$0.isEmpty }
            let timeout: Int32 = hasJobs ? 0 : timeoutUntilNextTimer()
            let count: Int
            do {
                count = try Epoll.wait(epfd, events, capacity: capacity, timeoutMs: timeout)
            } catch {
                Log.error("loop.epoll_wait", ["loop": name, "error": error.description])
                count = 0
            }
            for index in 0..<count {
                let event = events[index]
                let fd = Int32(truncatingIfNeeded: event.data.u64)
                if fd == wakeFd {
                    EventFd.drain(wakeFd)
                } else if fd >= 0, Int(fd) < handlers.count, let handler = handlers[Int(fd)] {
                    handler.handleEvents(event.events)
                }
            }
            runDueTimers()
            runJobs()
            for tick in tickCallbacks { tick() }
        }
        finished.withLock { $0 = true }
        finishedCondition.lock()
        finishedCondition.broadcast()
        finishedCondition.unlock()
    }

    private func runJobs() {
        // Jobs enqueued by these jobs run in the same round, up to a bound, so I/O is not starved.
        var rounds = 0
        while rounds < 64 {
            let batch = jobs.withLock { queue -> [UnownedJob] in
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            rounds += 1
        }
    }
}

/// An actor on a loop, used to hop a closure onto it.
private actor LoopHop {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    init(loop: EventLoop) { self.loop = loop }
    func run(_ body: @Sendable () -> Void) { body() }
}

