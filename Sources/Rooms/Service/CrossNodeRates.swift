import Shards

// MARK: - One rate budget across nodes
//
// Each node counts the tokens its users spend and, every 500 ms, publishes the count of
// each user who spent any on `user.{U}`. Every node with a session of U (subscribed to
// that channel for U's DMs anyway) charges those tokens to its own bucket for U. So a
// user with connections on k nodes spends one budget, give or take what the k nodes
// allow before each other's reports arrive: at most the burst plus half a second of
// rate on each node, and nothing more once the reports are in.

extension ChatService {
    /// A token was spent here by `user` (an accepted send or DM).
    func noteTokenSpent(_ user: UInt32) {
        guard crossNode != nil else { return }
        crossNodeState.spent[user, default: 0] += 1
    }

    /// Publishes the tokens spent since the last report, one event per user.
    func reportSpentTokens() {
        guard crossNode != nil, !crossNodeState.spent.isEmpty else { return }
        let spent = crossNodeState.spent
        crossNodeState.spent = [:]
        for (user, tokens) in spent {
            publishToNodes(Keyspace.userChannel(user), .rateSpent(user: user, tokens: UInt32(clamping: tokens)))
        }
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
