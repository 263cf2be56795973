/// Token buckets per user, with bounded memory.
///
/// A bucket is created full on a user's first message and forgotten by ``sweep(now:)`` once
/// it is idle (full again, not penalised, no recent refusal): forgetting it then changes
/// nothing, because a new bucket would answer the same. Sweeps run by themselves when the
/// table doubles since the last one (amortised O(1) per call), and can be run on a timer.
/// So memory follows the users active in the last minute or so, not all users ever seen.
public struct UserRateLimiter: Sendable {
    /// Parameters of new buckets; `perMinute` follows ``setRate(perMinute:now:)``.
    public private(set) var configuration: TokenBucket.Configuration
    private var buckets: [UInt32: TokenBucket] = [:]
    private var nextAutomaticSweep: Int
    private let minimumSweepSize: Int

    /// An empty limiter; the table is swept automatically from `minimumSweepSize` entries.
    public init(configuration: TokenBucket.Configuration = TokenBucket.Configuration(), minimumSweepSize: Int = 1_024) {
        self.configuration = configuration
        self.minimumSweepSize = Swift.max(1, minimumSweepSize)
        nextAutomaticSweep = self.minimumSweepSize
    }

    /// Users with a bucket now.
    public var count: Int { buckets.count }

    /// Takes one token from `user`'s bucket (see ``TokenBucket/tryTake(now:)``).
    public mutating func tryTake(user: UInt32, now: Int64) -> TokenBucket.Decision {
        if buckets.count >= nextAutomaticSweep {
            sweep(now: now)
            nextAutomaticSweep = Swift.max(minimumSweepSize, buckets.count * 2)
        }
        let configuration = self.configuration
        return buckets[user, default: TokenBucket(configuration: configuration, now: now)].tryTake(now: now)
    }

    /// Charges `tokens` that `user` spent on another node (see ``TokenBucket/charge(tokens:now:)``).
    public mutating func charge(user: UInt32, tokens: Int, now: Int64) {
        let configuration = self.configuration
        buckets[user, default: TokenBucket(configuration: configuration, now: now)].charge(tokens: tokens, now: now)
    }

    /// Changes every user's full rate from `now` on (a load level change), keeping each
    /// user's tokens and penalty. O(users with a bucket); level changes are rare.
    public mutating func setRate(perMinute: Int, now: Int64) {
        configuration.perMinute = perMinute
        for index in buckets.values.indices {
            buckets.values[index].setRate(perMinute: perMinute, now: now)
        }
    }

    /// `user`'s bucket, if they have one (for inspection and tests).
    public func bucket(for user: UInt32) -> TokenBucket? { buckets[user] }

    /// Forgets idle buckets; returns how many.
    @discardableResult
    public mutating func sweep(now: Int64) -> Int {
        let before = buckets.count
        buckets = buckets.filter { !$0.value.isIdle(now: now) }
        return before - buckets.count
    }
}

extension LoadLevel {
    /// Per-user messages per minute at this level (DESIGN.md: 100, 20, 5, 5).
    public var messagesPerMinute: Int {
        switch self {
        case .normal: return 100
        case .elevated: return 20
        case .high, .critical: return 5
        }
    }
}
