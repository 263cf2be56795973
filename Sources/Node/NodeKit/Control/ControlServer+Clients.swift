@preconcurrency import Glibc
import Actors
import Gateway

/// One control client. Loop-bound: touched on the control loop's thread only.
final class ControlClient {
    let id: UInt64
    let fd: Int32
    var reader: ControlLineReader
    /// Items read and not yet handled, oldest first.
    var queued: [ControlLineReader.Item] = []
    /// A request of this client is running.
    var busy = false
    /// Reply bytes not yet written, from `outputOffset`.
    var output: [UInt8] = []
    var outputOffset = 0
    /// The client closed its writing side (or the socket failed).
    var readClosed = false
    /// Close once the request in flight is answered and the output is written.
    var closeWhenIdle = false
    /// The epoll events registered now.
    var interest = Epoll.readable | Epoll.readHangup

    init(id: UInt64, fd: Int32, limit: Int) {
        self.id = id
        self.fd = fd
        self.reader = ControlLineReader(limit: limit)
    }

    var pendingOutput: Int { output.count - outputOffset }
}

// MARK: - Client I/O: read lines, run requests one at a time, write replies in order

extension ControlServer {
    func handle(_ id: UInt64, events: UInt32) {
        guard let client = clients[id] else { return }
        // HUP: the peer closed both ways (nothing can reach it any more); ERR: the socket failed.
        if events & (Epoll.hangup | Epoll.error) != 0 { return close(client) }
        if events & (Epoll.readable | Epoll.readHangup) != 0 && !client.readClosed {
            read(client)
        }
        settle(client)
    }

    /// Reads what is available (a bounded number of times per event, to stay fair).
    private func read(_ client: ControlClient) {
        for _ in 0..<16 where !client.readClosed && client.queued.count < configuration.maxQueuedRequests {
            let result: IOResult
            do {
                result = try Socket.read(client.fd, into: readBuffer.bytes)
            } catch {
                client.readClosed = true
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .done(0):
                client.readClosed = true
                client.queued += client.reader.finish()
            case .done(let count):
                let bytes = UnsafeRawBufferPointer(rebasing: readBuffer.bytes[0..<min(count, readBuffer.bytes.count)])
                client.queued += client.reader.feed(bytes)
            }
        }
    }

    /// Starts the next request if none runs, writes what waits, updates the registered
    /// events, and closes the client when it is done.
    func settle(_ client: ControlClient) {
        guard clients[client.id] != nil else { return }
        if client.closeWhenIdle { client.queued.removeAll() }  // stopping: take no new requests
        while !client.busy, !client.queued.isEmpty {
            start(client.queued.removeFirst(), for: client)
        }
        if client.pendingOutput > configuration.maxOutputBytes {
            Log.warn("control.client_dropped", ["reason": "unread_output"])
            return close(client)
        }
        flush(client)
        guard clients[client.id] != nil else { return }
        let done = !client.busy && client.queued.isEmpty && client.pendingOutput == 0
        if done && (client.readClosed || client.closeWhenIdle) { return close(client) }
        var events: UInt32 = 0
        if !client.readClosed && !client.closeWhenIdle && client.queued.count < configuration.maxQueuedRequests {
            events |= Epoll.readable | Epoll.readHangup
        }
        if client.pendingOutput > 0 { events |= Epoll.writable }
        if events != client.interest {
            client.interest = events
            do { try loop.reregister(client.fd, events: events) } catch { close(client) }
        }
    }

    /// Answers a refused line at once, or runs a request in a task.
    private func start(_ item: ControlLineReader.Item, for client: ControlClient) {
        let line: [UInt8]
        switch item {
        case .oversized:
            return append(ControlReply.failure("request over \(configuration.maxRequestBytes) bytes", id: nil), to: client)
        case .line(let bytes):
            line = bytes
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank lines are ignored
        switch ControlRequest.parse(line, token: configuration.token, maxTextBytes: configuration.maxTextBytes) {
        case .failure(let refusal):
            handled.add(1, ordering: .relaxed)
            if refusal.message == ControlRequestError.unauthorized { Log.warn("control.unauthorized", [:]) }
            append(ControlReply.failure(refusal.message, id: refusal.id), to: client)
        case .success(let request):
            client.busy = true
            inFlight.add(1, ordering: .relaxed)
            let commands = self.commands
            let id = client.id
            Task {  // on this actor: the command itself runs off the loop (`execute` is nonisolated)
                let reply = await commands.execute(request)
                self.complete(id, reply)
            }
        }
    }

    /// A request's reply is ready.
    func complete(_ id: UInt64, _ reply: [UInt8]) {
        inFlight.subtract(1, ordering: .relaxed)
        handled.add(1, ordering: .relaxed)
        guard let client = clients[id] else { return }
        client.busy = false
        append(reply, to: client)
        settle(client)
    }

    private func append(_ reply: [UInt8], to client: ControlClient) {
        if client.outputOffset > 0 && client.outputOffset == client.output.count {
            client.output.removeAll(keepingCapacity: true)
            client.outputOffset = 0
        }
        client.output += reply
    }

    private func flush(_ client: ControlClient) {
        while client.pendingOutput > 0 {
            let offset = client.outputOffset
            let result = try? client.output.withUnsafeBytes { raw throws(SystemError) in
                try Socket.write(client.fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            switch result {
            case .done(let count)?:
                client.outputOffset += count
            case .wouldBlock?:
                return
            case nil:
                return close(client)  // the peer is gone
            }
        }
        client.output.removeAll(keepingCapacity: client.output.count <= 64 << 10)
        client.outputOffset = 0
    }

    private func close(_ client: ControlClient) {
        guard clients.removeValue(forKey: client.id) != nil else { return }
        loop.deregister(client.fd)
        Syscall.close(client.fd)
        connectedClients.store(clients.count, ordering: .relaxed)
    }
}
