import Gateway

// MARK: - Tiers: promotion on activity, demotion by a periodic sweep

extension ChatService {
    /// Records activity of a session (any command); `sent` for messages the user wrote.
    func noteActivity(_ session: ClientSession, sent: Bool) {
        let time = now()
        session.lastActivityMs = time
        if sent { session.lastSentMs = time }
        retier(session, nowMs: time)
    }

    /// Puts a session in the tier its activity calls for, and its connection on that budget.
    func retier(_ session: ClientSession, nowMs: Int64) {
        let tier = ConnectionTier.of(
            premium: session.claims.isPremium, lastSentMs: session.lastSentMs,
            lastActivityMs: session.lastActivityMs, nowMs: nowMs)
        guard tier != session.tier else { return }
        tierCounts[session.tier, default: 0] -= 1
        tierCounts[tier, default: 0] += 1
        session.tier = tier
        if tier == .idle { idleConnections.insert(session.connection) } else { idleConnections.remove(session.connection) }
        let connection = session.connection
        _ = gateway?.assumeIsolated { $0.setBudget(connection, bytes: tier.budget) }
    }

    /// Demotes sessions that went quiet (run every few seconds, not per connection).
    func sweepTiers() {
        let time = now()
        for session in sessions.values { retier(session, nowMs: time) }
        prunePacers()
    }

    /// Connections per tier now.
    public var connectionsByTier: [ConnectionTier: Int] {
        tierCounts.filter { $0.value > 0 }
    }

    /// LOW events skip idle connections.
    func withoutIdle(_ delivery: Delivery) -> Delivery {
        guard !idleConnections.isEmpty else { return delivery }
        var trimmed = delivery
        trimmed.jsonRecipients.removeAll { idleConnections.contains($0) }
        trimmed.binaryRecipients.removeAll { idleConnections.contains($0) }
        counters.droppedIdle.add(delivery.json.priority, delivery.count - trimmed.count)
        return trimmed
    }
}
