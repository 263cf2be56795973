@preconcurrency import Glibc
import CLinux

/// epoll(7), as a caseless namespace of thin wrappers.
public enum Epoll {
    /// Readable.
    public static let readable = EPOLLIN.rawValue
    /// Writable.
    public static let writable = EPOLLOUT.rawValue
    /// Peer closed its writing half.
    public static let readHangup = EPOLLRDHUP.rawValue
    /// Error condition.
    public static let error = EPOLLERR.rawValue
    /// Hang-up.
    public static let hangup = EPOLLHUP.rawValue
    /// Edge-triggered.
    public static let edgeTriggered = EPOLLET.rawValue

    /// A new epoll instance (close-on-exec).
    public static func create() throws(SystemError) -> Int32 {
        try Syscall.run("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    /// Registers `fd` for `events`, tagged with `fd` itself.
    public static func add(_ epfd: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        try control(epfd, EPOLL_CTL_ADD, fd, events)
    }

    /// Changes the events of a registered `fd`.
    public static func modify(_ epfd: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        try control(epfd, EPOLL_CTL_MOD, fd, events)
    }

    /// Unregisters `fd`.
    public static func remove(_ epfd: Int32, _ fd: Int32) throws(SystemError) {
        try control(epfd, EPOLL_CTL_DEL, fd, 0)
    }

    private static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(UInt32(bitPattern: fd))
        _ = try Syscall.run("epoll_ctl") { epoll_ctl(epfd, op, fd, &event) }
    }

    /// Waits for events; `timeoutMs` -1 waits forever. Returns how many were filled in.
    public static func wait(_ epfd: Int32, _ events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeoutMs: Int32) throws(SystemError) -> Int {
        while true {
            let count = epoll_wait(epfd, events, capacity, timeoutMs)
            if count >= 0 { return Int(count) }
            if errno == EINTR { return 0 }
            throw SystemError(call: "epoll_wait", code: errno)
        }
    }
}

/// eventfd(2): the loop's doorbell, rung when work arrives from another thread.
public enum EventFd {
    /// A non-blocking, close-on-exec eventfd.
    public static func create() throws(SystemError) -> Int32 {
        try Syscall.run("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    /// Adds one to the counter (wakes a waiting epoll).
    public static func signal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    /// Resets the counter.
    public static func drain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }
}

/// The monotonic clock in nanoseconds (CLOCK_MONOTONIC), for deadlines on the loop.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point.
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
