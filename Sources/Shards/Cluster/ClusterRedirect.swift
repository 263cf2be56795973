/// A Valkey Cluster node's answer that a command belongs elsewhere, read from an error
/// reply (Cluster specification, "Redirection and resharding").
///
/// ```
/// -MOVED 3999 127.0.0.1:6381   the slot lives on that node now: update the map, resend there
/// -ASK 3999 127.0.0.1:6381     the slot is migrating and this key has gone: send ASKING and
///                              the command to that node, once; the map does not change
/// -TRYAGAIN ...                a multi-key command during a migration: retry shortly
/// ```
///
/// An empty host (`-MOVED 3999 :6381`) means the host of the node that answered.
/// Anything else, including a malformed redirect, is no redirect: the error reply goes to
/// the caller as it is.
public enum ClusterRedirect: Sendable, Hashable {
    /// `-MOVED slot host:port`.
    case moved(slot: Int, address: ValkeyAddress)
    /// `-ASK slot host:port`.
    case ask(slot: Int, address: ValkeyAddress)
    /// `-TRYAGAIN ...`.
    case tryAgain

    /// Parses an error reply's message (without the `-`); nil when it is not a redirect.
    public init?(errorMessage message: String, answeringHost: String) {
        if message.hasPrefix("TRYAGAIN") {
            self = .tryAgain
            return
        }
        guard message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") else { return nil }
        let parts = message.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= 5, let slot = Int(parts[1]), (0..<HashSlot.count).contains(slot),
              var address = ValkeyAddress(parts[2])
        else { return nil }
        if address.host.isEmpty { address.host = answeringHost }
        self = parts[0] == "MOVED" ? .moved(slot: slot, address: address) : .ask(slot: slot, address: address)
    }

    /// Which of two redirects of one reply set to follow: MOVED before ASK before TRYAGAIN.
    func stronger(than other: ClusterRedirect?) -> ClusterRedirect {
        guard let other else { return self }
        return rank >= other.rank ? self : other
    }

    private var rank: Int {
        switch self {
        case .moved: return 2
        case .ask: return 1
        case .tryAgain: return 0
        }
    }
}
