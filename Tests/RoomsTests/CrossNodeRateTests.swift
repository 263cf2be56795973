import Testing
@testable import Rooms

/// Tokens spent on other nodes are charged to this node's bucket of the user.
@Suite struct CrossNodeRateTests {
    @Test func tokensSpentElsewhereEmptyTheLocalBucket() {
        var limiter = UserRateLimiter(configuration: TokenBucket.Configuration(perMinute: 60, burst: 10))
        limiter.charge(user: 7, tokens: 10, now: 0)
        guard case .refused(let retry) = limiter.tryTake(user: 7, now: 0) else {
            Issue.record("a user who spent the burst elsewhere was allowed")
            return
        }
        #expect(retry == 1000, "one token at 60 per minute")
        #expect(limiter.tryTake(user: 8, now: 0) == .allowed, "other users keep their budget")
    }

    @Test func debtIsBoundedByTheBurst() {
        var bucket = TokenBucket(configuration: TokenBucket.Configuration(perMinute: 60, burst: 10), now: 0)
        bucket.charge(tokens: 1_000_000, now: 0)
        #expect(bucket.availableTokens(now: 0) == -10)
        #expect(bucket.availableTokens(now: 11_000) == 1, "paid back at the normal rate")
        bucket.charge(tokens: -5, now: 11_000)
        #expect(bucket.availableTokens(now: 11_000) == 1, "a negative charge is ignored")
    }
}
