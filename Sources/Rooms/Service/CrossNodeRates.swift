import Shards

// MARK: - One rate budget across nodes
//
// Each node counts the tokens its users spend and, every 500 ms, publishes the count of
// each user who spent any on `user.{U}`. Every node with a session of U (subscribed to
// that channel for U's DMs anyway) charges those tokens to its own bucket for U. So a
// user with connections on k nodes spends one budget, give or take what the k nodes
// allow before each other's reports arrive: at most the burst plus half a second of
// rate on each node, and nothing more once the reports are in.
//
// A user on one node only costs nothing per half second: when a report's PUBLISH reached
// no other subscriber than this node, reports for that user stop for 10 s; a presence
// event from another node about the user (their first session there) starts them again
// at once, so a second node is charged from its first send on.

extension ChatService {
    /// A token was spent here by `user` (an accepted send or DM).
    func noteTokenSpent(_ user: UInt32) {
        guard crossNode != nil else { return }
        crossNodeState.spent[user, default: 0] += 1
    }

    /// Publishes the tokens spent since the last report, one event per user.
    func reportSpentTokens() {
        guard crossNode != nil, !crossNodeState.spent.isEmpty else { return }
        guard let link = crossNode else { return }
        let spent = crossNodeState.spent
        crossNodeState.spent = [:]
        let time = now()
        if crossNodeState.reportsSkippedUntil.count > 4096 {
            crossNodeState.reportsSkippedUntil = crossNodeState.reportsSkippedUntil.filter { $0.value > time }
        }
        for (user, tokens) in spent {
            if let until = crossNodeState.reportsSkippedUntil[user], until > time { continue }
            let payload = CrossNodeMessage.encode(instance: instance, .rateSpent(user: user, tokens: UInt32(clamping: tokens)))
            link.publish(Keyspace.userChannel(user), payload) { [self] result in
                // Subscribers reached: this node (for the user's DMs) and any other.
                guard case .success(let replies) = result, let reached = replies.first?.integer, reached <= 1 else { return }
                crossNodeState.reportsSkippedUntil[user] = now().addingSaturated(CrossNodeTiming.aloneReportPauseMs)
            }
        }
    }

    /// Another node has a session of `user` now: report their spending again at once.
    func resumeRateReports(_ user: UInt32) {
        crossNodeState.reportsSkippedUntil[user] = nil
    }
}

extension TokenBucket {
    /// Takes `tokens` spent elsewhere (on another node) from the bucket at `now`. The
    /// bucket may go into debt, down to minus its burst: the user then waits for the
    /// refill to pay it back, as if the tokens had been spent here.
    mutating func charge(tokens: Int, now: Int64) {
        refill(now: now)
        let capacity = Int64(configuration.burst).multipliedSaturated(by: Self.unitsPerToken)
        let cost = Int64(max(0, tokens)).multipliedSaturated(by: Self.unitsPerToken)
        units = max(-capacity, units.subtractingSaturated(cost))
    }
}
