import Actors
import Gateway

// MARK: - Topology refresh (on the loop)

extension ClusterClient {
    /// Asks for the topology unless a request is in flight (then one more follows it).
    func requestRefresh() {
        guard refresh.inFlight == nil else {
            refresh.again = true
            return
        }
        if let timer = refresh.retryTimer { loop.cancelTimer(timer) }
        refresh.retryTimer = nil
        startRefresh()
    }

    /// Sends `CLUSTER SLOTS` to a connected master if there is one, else to the next seed.
    private func startRefresh() {
        var candidates = topology.masters
        for seed in seeds where !candidates.contains(seed) { candidates.append(seed) }
        guard !candidates.isEmpty else { return }
        let rotation = refresh.nextCandidate % candidates.count
        let ordered = Array(candidates[rotation...] + candidates[..<rotation])
        let address = ordered.first { nodeIndex[$0].map { nodeLinks[$0].assumeIsolated { $0.isConnected } } ?? false } ?? ordered[0]
        refresh.generation &+= 1
        let generation = refresh.generation
        refresh.inFlight = generation
        refresh.again = false
        var encoder = RESPEncoder(reservingCapacity: 32)
        encoder.command("CLUSTER", "SLOTS")
        let accepted = nodeLinks[node(for: address)].assumeIsolated {
            $0.submit(encoder.buffer, commands: 1, completion: Self.refreshCompletion(generation, address, client: self))
        }
        guard accepted else { return refreshFailed(generation, "outbox of \(address) full") }
        refresh.timeoutTimer = loop.scheduleTimer(after: configuration.refreshTimeout) { [weak self] in
            self?.assumeIsolated { $0.refreshFailed(generation, "no answer from \(address)") }
        }
    }

    private nonisolated static func refreshCompletion(
        _ generation: UInt64, _ address: ValkeyAddress, client: ClusterClient
    ) -> (Result<[RESPValue], ShardLinkError>) -> Void {
        { [weak client] result in client?.assumeIsolated { $0.refreshed(generation, from: address, result) } }
    }

    private func refreshed(_ generation: UInt64, from address: ValkeyAddress, _ result: Result<[RESPValue], ShardLinkError>) {
        guard refresh.inFlight == generation else { return }  // timed out before: a newer one runs
        do {
            let replies = try result.get()
            guard let reply = replies.first else { throw ShardLinkError.unexpectedReply("no reply") }
            if let message = reply.errorMessage { throw ShardLinkError.replyError(message) }
            let fresh = try ClusterTopology(slotsReply: reply, askedHost: address.host)
            endRefresh()
            apply(fresh)
        } catch {
            refreshFailed(generation, String(describing: error))
        }
        if refresh.again && refresh.inFlight == nil { requestRefresh() }
    }

    func refreshFailed(_ generation: UInt64, _ reason: String) {
        guard refresh.inFlight == generation else { return }
        endRefresh()
        counters.refreshFailures.add(1, ordering: .relaxed)
        refresh.nextCandidate &+= 1
        Log.warn("cluster.refresh_failed", ["error": reason])
        // Someone waits for a route: try the next node soon; else the periodic refresh will.
        guard !unroutedSlots.isEmpty || !unplacedChannels.isEmpty || refresh.again, refresh.retryTimer == nil else { return }
        refresh.retryTimer = loop.scheduleTimer(after: configuration.retryDelay) { [weak self] in
            self?.assumeIsolated { client in
                client.refresh.retryTimer = nil
                client.requestRefresh()
            }
        }
    }

    private func endRefresh() {
        refresh.inFlight = nil
        if let timer = refresh.timeoutTimer { loop.cancelTimer(timer) }
        refresh.timeoutTimer = nil
    }

    /// Takes a new topology: links for new masters, held batches sent (or failed when their
    /// slot is still not served), channels moved to their slot's master.
    private func apply(_ fresh: ClusterTopology) {
        counters.refreshes.add(1, ordering: .relaxed)
        let changed = fresh != topology
        if changed {
            adopt(fresh)
            Log.info("cluster.topology", ["masters": String(fresh.masters.count), "slots": String(fresh.coveredSlotCount)])
        }
        let waiting = unroutedSlots
        unroutedSlots.removeAll()
        for slot in waiting { release(slot, failUnrouted: true) }
        if changed || !unplacedChannels.isEmpty { placeChannels() }
    }
}
