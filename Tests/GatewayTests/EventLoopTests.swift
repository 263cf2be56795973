@preconcurrency import Glibc
import Synchronization
import Testing
@testable import Gateway

/// An actor whose jobs run on an event loop.
private actor LoopBound {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    var calls = 0
    init(loop: EventLoop) { self.loop = loop }
    func call() -> Bool {
        calls += 1
        return loop.inLoop
    }
}

/// Reads from one end of a socket pair and records what arrived.
private final class Reader: EventLoopHandler, @unchecked Sendable {
    let fd: Int32
    let received = Mutex<[UInt8]>([])
    init(fd: Int32) { self.fd = fd }
    func handleEvents(_ events: UInt32) {
        var buffer = [UInt8](repeating: 0, count: 256)
        let result = buffer.withUnsafeMutableBytes { try? Socket.read(fd, into: $0) }
        if case .done(let n)? = result, n > 0 {
            received.withLock { $0 += buffer[0..<n] }
        }
    }
}

@Suite struct EventLoopTests {
    @Test func actorJobsRunOnTheLoopThread() async throws {
        let loop = try EventLoop.start(name: "test-loop")
        defer { loop.shutdown() }
        let actor = LoopBound(loop: loop)
        for _ in 0..<100 {
            #expect(await actor.call())
        }
        #expect(await actor.calls == 100)
        #expect(!loop.inLoop)
    }

    @Test func assumeIsolatedWorksFromLoopCallbacks() async throws {
        let loop = try EventLoop.start(name: "test-loop")
        defer { loop.shutdown() }
        let actor = LoopBound(loop: loop)
        let result = Mutex<Int>(-1)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                let calls = actor.assumeIsolated { actor -> Int in
                    _ = actor.call()
                    return actor.calls
                }
                result.withLock { $0 = calls }
                done.resume()
            }
        }
        #expect(result.withLock { $0 } == 1)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() async throws {
        let loop = try EventLoop.start(name: "test-loop")
        defer { loop.shutdown() }
        let fired = Mutex<[Int]>([])
        loop.execute {
            loop.scheduleTimer(after: .milliseconds(30)) { fired.withLock { $0.append(3) } }
            loop.scheduleTimer(after: .milliseconds(10)) { fired.withLock { $0.append(1) } }
            let cancelled = loop.scheduleTimer(after: .milliseconds(20)) { fired.withLock { $0.append(2) } }
            loop.cancelTimer(cancelled)
        }
        try await eventuallyTrue { fired.withLock { $0.count } == 2 }
        try await Task.sleep(for: .milliseconds(30))
        #expect(fired.withLock { $0 } == [1, 3])
    }

    @Test func repeatingTimerRepeatsUntilCancelled() async throws {
        let loop = try EventLoop.start(name: "test-loop")
        defer { loop.shutdown() }
        let count = Mutex<Int>(0)
        let id = Mutex<UInt64>(0)
        loop.execute {
            let timer = loop.scheduleRepeating(every: .milliseconds(2)) { count.withLock { $0 += 1 } }
            id.withLock { $0 = timer }
        }
        try await eventuallyTrue { count.withLock { $0 } >= 5 }
        // Cancel on the loop and wait until that has happened.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.cancelTimer(id.withLock { $0 })
                done.resume()
            }
        }
        let settled = count.withLock { $0 }
        try await Task.sleep(for: .milliseconds(20))
        #expect(count.withLock { $0 } == settled)
    }

    @Test func readinessHandlersSeeSocketData() async throws {
        let loop = try EventLoop.start(name: "test-loop")
        defer { loop.shutdown() }
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let reader = Reader(fd: fds[0])
        loop.execute { try? loop.register(reader.fd, events: Epoll.readable, handler: reader) }
        let message = Array("hello loop".utf8)
        _ = message.withUnsafeBytes { try? Socket.write(fds[1], $0) }
        try await eventuallyTrue { reader.received.withLock { $0 } == message }
        loop.execute { loop.deregister(reader.fd) }
    }
}

/// Polls until `condition` holds (at most 5 s).
func eventuallyTrue(_ condition: () -> Bool) async throws {
    for _ in 0..<1000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    #expect(condition())
}
