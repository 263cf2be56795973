import Actors
import Gateway

// MARK: - Connection events (on the loop)

extension ShardSubscriber {
    func connected() {
        counters.connects.add(1, ordering: .relaxed)
        Log.info("subscriber.connected", ["shard": name, "address": "\(host):\(port)", "channels": String(wanted.count)])
        active.removeAll()
        confirmed.removeAll()
        requests.removeAll()
        dirty = wanted
        flushChanges()
        life.schedulePing(every: configuration.pingInterval) { [weak self] in
            self?.assumeIsolated { subscriber in
                guard let connection = subscriber.life.connection else { return }
                var encoder = RESPEncoder(reservingCapacity: 16)
                encoder.command("PING")
                connection.write(encoder.buffer)
                connection.flush()
            }
        }
    }

    func lost(_ error: ShardLinkError) {
        counters.disconnects.add(1, ordering: .relaxed)
        Log.warn("subscriber.lost", ["shard": name, "address": "\(host):\(port)", "error": error.description])
        endConnection()
        life.lost(error)
    }

    /// Stops the run numbered `generation` (nil: whichever runs now).
    func stopRun(_ generation: UInt64? = nil) {
        guard life.isCurrent(generation) else { return }
        endConnection()
        life.stop()
    }

    private func endConnection() {
        active.removeAll()
        confirmed.removeAll()
        dirty.removeAll()
        requests.removeAll()
    }

    // MARK: Sending changes

    /// Sends one SUBSCRIBE and one UNSUBSCRIBE for the channels changed since the last
    /// flush (sharded mode: one of each per slot, as SSUBSCRIBE takes one slot's channels).
    func flushChanges() {
        guard let connection = life.connection, connection.state == .open else { return }
        var subscribing: [[UInt8]] = []
        var unsubscribing: [[UInt8]] = []
        for channel in dirty {
            let isWanted = wanted.contains(channel), isActive = active.contains(channel)
            if isWanted && !isActive {
                subscribing.append(channel)
                active.insert(channel)
            } else if !isWanted && isActive {
                unsubscribing.append(channel)
                active.remove(channel)
            }
        }
        dirty.removeAll(keepingCapacity: dirty.count <= 1024)
        guard !subscribing.isEmpty || !unsubscribing.isEmpty else { return }
        var encoder = RESPEncoder(reservingCapacity: 256)
        send(subscribing, subscribe: true, into: &encoder)
        send(unsubscribing, subscribe: false, into: &encoder)
        connection.write(encoder.buffer)
        connection.flush()
    }

    private func send(_ channels: [[UInt8]], subscribe: Bool, into encoder: inout RESPEncoder) {
        guard !channels.isEmpty else { return }
        let command = subscribe ? mode.subscribeCommand : mode.unsubscribeCommand
        let groups: [[[UInt8]]]
        switch mode {
        case .plain: groups = [channels]
        case .sharded: groups = Array(Dictionary(grouping: channels, by: { HashSlot.slot(forKey: $0) }).values)
        }
        let size = max(1, configuration.channelsPerCommand)
        for group in groups {
            var start = 0
            while start < group.count {
                let chunk = Array(group[start..<min(start + size, group.count)])
                encoder.arrayHeader(count: chunk.count + 1)
                encoder.bulkString(command)
                for channel in chunk { encoder.bulkString(channel) }
                requests.append(SubscriptionRequest(subscribing: subscribe, channels: chunk))
                start += size
            }
        }
    }

    // MARK: Replies

    func received(_ value: RESPValue) {
        switch value {
        case .array(let parts):
            guard let first = parts.first?.bytes, let kind = PubSubReplyKind(first) else { return unexpected(value) }
            switch kind {
            case .message:
                guard parts.count == 3, let channel = parts[1].bytes, let payload = parts[2].bytes else {
                    return unexpected(value)
                }
                // A message already on the way when its channel was unsubscribed is dropped.
                guard wanted.contains(channel) else { return }
                counters.messages.add(1, ordering: .relaxed)
                handler?(channel, payload)
            case .subscribed, .unsubscribed:
                guard parts.count == 3, let channel = parts[1].bytes else { return unexpected(value) }
                confirm(channel, subscribed: kind == .subscribed)
            case .pong:
                break
            }
        case .error(let message):
            refused(message)
        case .simpleString(let text) where text == "PONG":
            break  // PING answered before any subscription
        default:
            unexpected(value)
        }
    }

    private func confirm(_ channel: [UInt8], subscribed: Bool) {
        counters.confirmations.add(1, ordering: .relaxed)
        if requests.confirm(channel, subscribing: subscribed) {
            if subscribed { confirmed.insert(channel) } else { confirmed.remove(channel) }
            return
        }
        guard !subscribed else { return unexpected(.array([.bulk("subscribe"), .bulkString(channel)])) }
        // Not an answer to our command: the server dropped the channel (its slot moved).
        confirmed.remove(channel)
        active.remove(channel)
        guard wanted.contains(channel) else { return }
        counters.dropped.add(1, ordering: .relaxed)
        Log.info("subscriber.dropped", ["shard": name, "address": "\(host):\(port)"])
        onDropped?(channel, nil)
    }

    private func refused(_ message: String) {
        guard let request = requests.popFirst() else {
            Log.warn("subscriber.error_reply", ["shard": name, "address": "\(host):\(port)", "error": message])
            counters.unexpected.add(1, ordering: .relaxed)
            return
        }
        Log.warn("subscriber.refused", [
            "shard": name, "address": "\(host):\(port)", "error": message, "channels": String(request.channels.count),
        ])
        guard request.subscribing else { return }
        for channel in request.channels[request.next...] {
            active.remove(channel)
            guard wanted.contains(channel) else { continue }
            counters.dropped.add(1, ordering: .relaxed)
            onDropped?(channel, message)
        }
    }

    private func unexpected(_ value: RESPValue) {
        counters.unexpected.add(1, ordering: .relaxed)
        Log.warn("subscriber.unexpected_reply", ["shard": name, "address": "\(host):\(port)", "reply": value.description])
    }
}

// MARK: - Requests in flight

/// A SUBSCRIBE or UNSUBSCRIBE sent, with how far its per-channel confirmations have come.
struct SubscriptionRequest {
    let subscribing: Bool
    let channels: [[UInt8]]
    var next = 0
}

/// The subscriber's commands awaiting confirmation, oldest first. The server answers each
/// channel of a command in order, or the whole command with one error.
struct SubscriptionRequests {
    private var items: [SubscriptionRequest] = []
    private var head = 0

    var isEmpty: Bool { head >= items.count }

    mutating func append(_ request: SubscriptionRequest) { items.append(request) }

    mutating func removeAll() {
        items.removeAll()
        head = 0
    }

    mutating func popFirst() -> SubscriptionRequest? {
        guard head < items.count else { return nil }
        let request = items[head]
        head += 1
        if head == items.count { removeAll() }
        return request
    }

    /// True when `channel` is the next confirmation the oldest request waits for (and
    /// counts it); false for a confirmation nobody asked for.
    mutating func confirm(_ channel: [UInt8], subscribing: Bool) -> Bool {
        guard head < items.count, items[head].subscribing == subscribing else { return false }
        let request = items[head]
        guard request.next < request.channels.count, request.channels[request.next] == channel else { return false }
        items[head].next += 1
        if items[head].next == request.channels.count { _ = popFirst() }
        return true
    }
}
