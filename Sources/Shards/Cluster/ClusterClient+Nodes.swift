import Actors
import Gateway

// MARK: - Nodes, links and the slot table (on the loop)

extension ClusterClient {
    /// The node index of the master serving `slot`, nil when none is known.
    @inline(__always)
    func owner(ofSlot slot: Int) -> Int? {
        let node = slotOwners[slot]
        return node >= 0 ? Int(node) : nil
    }

    /// The index of the node at `address`, its command link made and started on first use.
    func node(for address: ValkeyAddress) -> Int {
        if let index = nodeIndex[address] { return index }
        let link = ShardLink(name: address.description, host: address.host, port: address.port, loop: loop,
                             configuration: configuration.link)
        nodeAddresses.append(address)
        nodeLinks.append(link)
        nodeIndex[address] = nodeLinks.count - 1
        startChild(ChildSpec(id: "\(address)-link", shutdown: .timeout(.seconds(2))) { _ in try await link.run() })
        return nodeLinks.count - 1
    }

    /// Records that `slot` lives on `address` now (after a `-MOVED`).
    func assign(slot: Int, to address: ValkeyAddress) {
        guard slot >= 0, slot < HashSlot.count else { return }
        topology.assign(slot: slot, to: address)
        slotOwners[slot] = Int32(node(for: address))
    }

    /// Takes a new topology and rebuilds the slot table from it.
    func adopt(_ fresh: ClusterTopology) {
        topology = fresh
        let masterNodes = fresh.masters.map { Int32(node(for: $0)) }
        for slot in 0..<HashSlot.count {
            slotOwners[slot] = fresh.masterIndex(ofSlot: slot).map { masterNodes[$0] } ?? -1
        }
    }

    /// The subscriber of `address`, made and started on first use.
    func subscriberLink(for address: ValkeyAddress) -> ShardSubscriber {
        if let subscriber = subscribers[address] { return subscriber }
        let subscriber = ShardSubscriber(name: address.description, host: address.host, port: address.port, loop: loop,
                                         mode: .sharded, configuration: configuration.subscriber)
        subscribers[address] = subscriber
        subscriber.assumeIsolated { Self.wire($0, to: self, address: address) }
        startChild(ChildSpec(id: "\(address)-subscriber", shutdown: .timeout(.seconds(2))) { _ in try await subscriber.run() })
        return subscriber
    }

    /// Points a subscriber's messages and drops back into this client.
    private static func wire(_ subscriber: isolated ShardSubscriber, to client: ClusterClient, address: ValkeyAddress) {
        subscriber.setHandler { [weak client] channel, payload in client?.deliver(channel, payload) }
        subscriber.setDroppedHandler { [weak client] channel, reason in
            client?.assumeIsolated { $0.dropped(channel, from: address, reason: reason) }
        }
    }

    /// Hands a subscriber's message to the handler (on the loop thread).
    nonisolated func deliver(_ channel: [UInt8], _ payload: [UInt8]) {
        assumeIsolated { $0.handler?(channel, payload) }
    }

    /// Adds a child to the supervisor (a hop off the loop; rare: once per master).
    func startChild(_ spec: ChildSpec) {
        let supervisor = self.supervisor
        Task {
            do { try await supervisor.startChild(spec) } catch SupervisorError.alreadyPresent(_) {
                // Started before: nothing to do.
            } catch {
                Log.warn("cluster.start_child_failed", ["child": spec.id, "error": String(describing: error)])
            }
        }
    }

    /// Starts again any link or subscriber its supervisor no longer has (it restarted).
    func ensureChildren() {
        for (address, link) in zip(nodeAddresses, nodeLinks) {
            startChild(ChildSpec(id: "\(address)-link", shutdown: .timeout(.seconds(2))) { _ in try await link.run() })
        }
        for (address, subscriber) in subscribers {
            startChild(ChildSpec(id: "\(address)-subscriber", shutdown: .timeout(.seconds(2))) { _ in try await subscriber.run() })
        }
    }
}
