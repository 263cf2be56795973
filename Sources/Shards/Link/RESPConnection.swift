import Gateway

/// One non-blocking TCP connection to a Valkey server, driven by an event loop: bytes out
/// through a write buffer flushed by its owner, replies in through hiredis's reader.
///
/// Loop-bound (not Sendable): created, used and closed on its loop's thread. It reports
/// through three callbacks, all on the loop: `onOpen`, `onValue` (each complete reply or
/// pushed message, in order) and `onClose` (once, with the reason).
final class RESPConnection: EventLoopHandler {
    enum State { case idle, connecting, open, closed }

    let loop: EventLoop
    let host: String
    let port: Int
    private(set) var state = State.idle
    private var fd: Int32 = -1
    private var reader: RESPReader?
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var writeArmed = false
    private var readBuffer: UnsafeMutableRawBufferPointer?
    private var connectTimer: UInt64?

    var onOpen: (() -> Void)?
    var onValue: ((RESPValue) -> Void)?
    var onClose: ((ShardLinkError) -> Void)?

    init(loop: EventLoop, host: String, port: Int) {
        self.loop = loop
        self.host = host
        self.port = port
    }

    deinit {
        readBuffer?.deallocate()
        if fd >= 0 { Syscall.close(fd) }
    }

    /// Bytes written but not yet accepted by the kernel.
    var pendingOutput: Int { output.count - outputOffset }

    /// Starts connecting; `onOpen` or `onClose` follows.
    func open(timeout: Duration = .seconds(2)) {
        guard state == .idle else { return }
        do {
            reader = try RESPReader()
            fd = try Socket.connect(host: host, port: port)
            state = .connecting
            try loop.register(fd, events: Epoll.writable | Epoll.readable | Epoll.readHangup, handler: self)
            connectTimer = loop.scheduleTimer(after: timeout) { [weak self] in
                self?.fail(.connectFailed("timed out connecting to \(self?.host ?? ""):\(self?.port ?? 0)"))
            }
        } catch let error as SystemError {
            fail(.connectFailed(error.description))
        } catch {
            fail(.connectFailed(String(describing: error)))
        }
    }

    /// Appends bytes to the write buffer; `flush()` sends them.
    func write(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        output.append(contentsOf: bytes)
    }

    /// Appends bytes through a closure writing into the buffer.
    func write(_ body: (inout [UInt8]) -> Void) {
        guard state != .closed else { return }
        body(&output)
    }

    /// Sends what is buffered, as far as the socket takes it; arms writability for the rest.
    func flush() {
        guard state == .open, outputOffset < output.count else { return }
        while outputOffset < output.count {
            let result: IOResult
            do {
                result = try output.withUnsafeBytes { raw throws(SystemError) -> IOResult in
                    try Socket.write(fd, UnsafeRawBufferPointer(rebasing: raw[outputOffset...]))
                }
            } catch {
                return fail(.connectionLost(String(describing: error)))
            }
            switch result {
            case .done(let written): outputOffset += written
            case .wouldBlock:
                setWriteInterest(true)
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        outputOffset = 0
        setWriteInterest(false)
    }

    /// Closes without calling `onClose`.
    func close() {
        guard state != .closed else { return }
        state = .closed
        teardown()
    }

    func handleEvents(_ events: UInt32) {
        switch state {
        case .connecting:
            let error = Socket.pendingError(fd)
            if error != 0 || events & (Epoll.error | Epoll.hangup) != 0 {
                return fail(.connectFailed("connect to \(host):\(port): errno \(error)"))
            }
            guard events & Epoll.writable != 0 else { return }
            state = .open
            if let timer = connectTimer { loop.cancelTimer(timer) }
            writeArmed = true
            setWriteInterest(false)
            onOpen?()
            flush()
        case .open:
            if events & (Epoll.readable | Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 { readAvailable() }
            if state == .open && events & Epoll.writable != 0 { flush() }
        case .idle, .closed:
            break
        }
    }

    private func readAvailable() {
        let buffer = readBuffer ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 8)
        readBuffer = buffer
        while state == .open {
            let result: IOResult
            do { result = try Socket.read(fd, into: buffer) } catch { return fail(.connectionLost(error.description)) }
            switch result {
            case .wouldBlock: return
            case .done(0): return fail(.connectionLost("closed by \(host):\(port)"))
            case .done(let count):
                guard let reader else { return }
                do {
                    try reader.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    while state == .open, let value = try reader.next() { onValue?(value) }
                } catch {
                    return fail(.protocolError(error.description))
                }
                if count < buffer.count { return }
            }
        }
    }

    private func setWriteInterest(_ wanted: Bool) {
        guard state == .open, wanted != writeArmed else { return }
        writeArmed = wanted
        let events = Epoll.readable | Epoll.readHangup | (wanted ? Epoll.writable : 0)
        do { try loop.reregister(fd, events: events) } catch { fail(.connectionLost(error.description)) }
    }

    private func fail(_ error: ShardLinkError) {
        guard state != .closed else { return }
        state = .closed
        teardown()
        onClose?(error)
    }

    private func teardown() {
        if let timer = connectTimer { loop.cancelTimer(timer) }
        connectTimer = nil
        if fd >= 0 {
            loop.deregister(fd)
            Syscall.close(fd)
            fd = -1
        }
        reader = nil
        output = []
        outputOffset = 0
        readBuffer?.deallocate()
        readBuffer = nil
    }
}
