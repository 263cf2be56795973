/// One user's message rate limit: a token bucket with a penalty for users who keep pushing.
///
/// Pure: time comes in as `now`, milliseconds on any monotonic clock, so tests drive it
/// with plain numbers. Tokens are counted in fixed point (1 token = 120,000 units, so that
/// both the full rate, `2 × perMinute` units per ms, and the half rate, `perMinute` units per
/// ms, are exact integers).
///
/// ```
///  refill: perMinute / 60 s (half that while penalised)  ──►  [ up to `burst` tokens ]  ──►  1 per message
/// ```
///
/// Penalty: `penaltyRefusals` refusals (5) within `penaltyWindowMs` (10 s, counted from the
/// first refusal of the window) hold the user at half rate for `penaltyDurationMs` (60 s);
/// another such streak while penalised restarts the 60 s. The rate can change at run time
/// (load levels: 100/20/5/5 per minute) with ``setRate(perMinute:now:)``: tokens earned so far
/// are kept, and so is the penalty.
public struct TokenBucket: Sendable, Equatable {
    /// The bucket's parameters.
    public struct Configuration: Sendable, Equatable {
        /// Messages per minute at full rate.
        public var perMinute: Int
        /// Tokens the bucket holds at most (and starts with).
        public var burst: Int
        /// Refusals within the window that trigger the penalty.
        public var penaltyRefusals: Int
        /// The window for counting refusals, in ms.
        public var penaltyWindowMs: Int64
        /// How long the half rate lasts, in ms.
        public var penaltyDurationMs: Int64

        /// The defaults: 100 per minute, burst 10, 5 refusals in 10 s → half rate for 60 s.
        public init(perMinute: Int = 100, burst: Int = 10, penaltyRefusals: Int = 5, penaltyWindowMs: Int64 = 10_000, penaltyDurationMs: Int64 = 60_000) {
            precondition(perMinute > 0 && burst > 0 && penaltyRefusals > 0, "rate limit settings must be positive")
            self.perMinute = perMinute
            self.burst = burst
            self.penaltyRefusals = penaltyRefusals
            self.penaltyWindowMs = penaltyWindowMs
            self.penaltyDurationMs = penaltyDurationMs
        }
    }

    /// The answer to ``tryTake(now:)``.
    public enum Decision: Sendable, Equatable {
        /// Go ahead: one token was taken.
        case allowed
        /// Refused: the earliest time a retry can succeed, in ms from `now` (the error's
        /// `retry_ms`).
        case refused(retryAfterMs: Int64)
    }

    /// Fixed-point units per token.
    static let unitsPerToken: Int64 = 120_000

    /// The parameters; `perMinute` follows ``setRate(perMinute:now:)``.
    public private(set) var configuration: Configuration
    var units: Int64
    var updatedAt: Int64
    var penaltyUntil: Int64 = .min
    var refusals = 0
    var windowStart: Int64 = .min

    /// A full bucket at time `now`.
    public init(configuration: Configuration = Configuration(), now: Int64) {
        self.configuration = configuration
        units = Int64(configuration.burst) &* Self.unitsPerToken
        updatedAt = now
    }

    /// Takes one token if there is one; a refusal counts towards the penalty.
    public mutating func tryTake(now: Int64) -> Decision {
        refill(now: now)
        if units >= Self.unitsPerToken {
            units -= Self.unitsPerToken
            return .allowed
        }
        if refusals == 0 || now.subtractingSaturated(windowStart) >= configuration.penaltyWindowMs {
            windowStart = now
            refusals = 0
        }
        refusals += 1
        if refusals >= configuration.penaltyRefusals {
            penaltyUntil = now.addingSaturated(configuration.penaltyDurationMs)
            refusals = 0
        }
        return .refused(retryAfterMs: retryAfter(now: now))
    }

    /// Changes the full rate from `now` on; what was earned before `now` is kept.
    public mutating func setRate(perMinute: Int, now: Int64) {
        precondition(perMinute > 0, "rate must be positive")
        refill(now: now)
        configuration.perMinute = perMinute
    }

    /// Whole tokens available at `now`.
    public func availableTokens(now: Int64) -> Int {
        Int(units(at: now) / Self.unitsPerToken)
    }

    /// Whether the user is held at half rate at `now`.
    public func isPenalised(now: Int64) -> Bool { penaltyUntil > now }

    /// Whether forgetting the bucket at `now` loses nothing: it is full, not penalised and
    /// counts no recent refusal (a new bucket would behave the same).
    public func isIdle(now: Int64) -> Bool {
        !isPenalised(now: now)
            && (refusals == 0 || now.subtractingSaturated(windowStart) >= configuration.penaltyWindowMs)
            && units(at: now) >= Int64(configuration.burst) &* Self.unitsPerToken
    }
}
