import Actors
import Gateway

// MARK: - Connection events (on the loop)

extension ShardLink {
    func connected() {
        guard let connection else { return }
        counters.connects.add(1, ordering: .relaxed)
        Log.info("shard.connected", ["shard": name, "address": "\(host):\(port)", "waiting": String(outbox.commandCount)])
        pendingSinceFlush = outbox.commandCount  // everything waiting goes out in this flush
        outbox.sendAll { connection.write($0) }
        flush()
        schedulePing()
    }

    func received(_ value: RESPValue) {
        counters.replies.add(1, ordering: .relaxed)
        if value.errorMessage != nil { counters.errorReplies.add(1, ordering: .relaxed) }
        guard outbox.isAwaitingReplies else {
            return lost(.protocolError("reply with no command in flight"))
        }
        if let batch = outbox.receive(value) {
            counters.waiting.store(outbox.commandCount, ordering: .relaxed)
            batch.completion(.success(batch.replies))
        }
    }

    func lost(_ error: ShardLinkError) {
        counters.disconnects.add(1, ordering: .relaxed)
        Log.warn("shard.lost", ["shard": name, "address": "\(host):\(port)", "error": error.description])
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
        connection = nil
        pendingSinceFlush = 0
        outbox.requeueInFlight()
        counters.waiting.store(outbox.commandCount, ordering: .relaxed)
    }

    private func schedulePing() {
        life.schedulePing(every: configuration.pingInterval) { [weak self] in
            guard let self else { return }
            self.assumeIsolated { link in
                guard link.isConnected, !link.outbox.isAwaitingReplies else { return }
                var encoder = RESPEncoder(reservingCapacity: 16)
                encoder.command("PING")
                link.submit(encoder.take(), commands: 1) { _ in }
            }
        }
    }
}
