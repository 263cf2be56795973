import Actors
import Gateway

// MARK: - Sharded pub/sub (on the loop)

extension ClusterClient {
    public func subscribe(_ channel: [UInt8]) {
        if !started { start() }
        guard subscriptions[channel] == nil, !unplacedChannels.contains(channel) else { return }
        place(channel)
    }

    public func unsubscribe(_ channel: [UInt8]) {
        if unplacedChannels.remove(channel) != nil { return }
        guard let master = subscriptions.removeValue(forKey: channel) else { return }
        subscribers[master]?.assumeIsolated { $0.unsubscribe(channel) }
    }

    public func setMessageHandler(_ handler: @escaping ValkeyMessageHandler) {
        self.handler = handler
    }

    /// The channels wanted, wherever they are subscribed.
    public var wantedChannels: Set<[UInt8]> { Set(subscriptions.keys).union(unplacedChannels) }

    /// Subscribes `channel` on its slot's master, or keeps it aside until one is known.
    private func place(_ channel: [UInt8]) {
        guard let master = topology.owner(ofSlot: HashSlot.slot(forKey: channel)) else {
            unplacedChannels.insert(channel)
            requestRefresh()
            return
        }
        subscriptions[channel] = master
        subscriberLink(for: master).assumeIsolated { $0.subscribe(channel) }
    }

    /// After a topology change: every wanted channel on its slot's master.
    func placeChannels() {
        let waiting = unplacedChannels
        unplacedChannels.removeAll()
        for channel in waiting { place(channel) }
        var moving: [[UInt8]] = []
        for (channel, master) in subscriptions where topology.owner(ofSlot: HashSlot.slot(forKey: channel)) != master {
            moving.append(channel)
        }
        for channel in moving { move(channel) }
    }

    /// A subscriber lost a wanted channel: refused with `-MOVED` (take the new owner at
    /// once), or dropped because its slot moved (ask for the topology).
    func dropped(_ channel: [UInt8], from master: ValkeyAddress, reason: String?) {
        guard subscriptions[channel] == master else { return }
        if let reason, case .moved(let slot, let address)? = ClusterRedirect(errorMessage: reason, answeringHost: master.host) {
            assign(slot: slot, to: address)
        }
        move(channel)
        if topology.owner(ofSlot: HashSlot.slot(forKey: channel)) == master || reason == nil { requestRefresh() }
    }

    /// Unsubscribes `channel` where it is and subscribes it on its slot's master.
    private func move(_ channel: [UInt8]) {
        guard let master = subscriptions.removeValue(forKey: channel) else { return }
        counters.channelMoves.add(1, ordering: .relaxed)
        subscribers[master]?.assumeIsolated { $0.unsubscribe(channel) }
        guard let owner = topology.owner(ofSlot: HashSlot.slot(forKey: channel)), owner != master else {
            // Nowhere better known yet: wait for the refresh.
            unplacedChannels.insert(channel)
            requestRefresh()
            return
        }
        place(channel)
    }
}
