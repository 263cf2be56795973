import Testing
@testable import Rooms

@Suite("Rate limits")
struct RateLimitTests {
    /// Takes `count` tokens at `now`, expecting each to be allowed.
    private func drain(_ bucket: inout TokenBucket, _ count: Int, now: Int64) {
        for _ in 0..<count { #expect(bucket.tryTake(now: now) == .allowed) }
    }

    @Test func burstThenRefillAtTheRate() {
        var bucket = TokenBucket(now: 0) // 100/min: one token per 600 ms
        drain(&bucket, 10, now: 0)
        #expect(bucket.tryTake(now: 0) == .refused(retryAfterMs: 600))
        #expect(bucket.tryTake(now: 599) == .refused(retryAfterMs: 1))
        #expect(bucket.tryTake(now: 600) == .allowed)
        #expect(bucket.tryTake(now: 700) == .refused(retryAfterMs: 500))
        #expect(bucket.availableTokens(now: 700 + 3_600_000) == 10)
        var later = bucket
        drain(&later, 10, now: 10_000_000)
        #expect(later.tryTake(now: 10_000_000) != .allowed)
    }

    @Test func fiveRefusalsWithinTenSecondsHalveTheRate() {
        var bucket = TokenBucket(now: 0)
        drain(&bucket, 10, now: 0)
        for step in 0..<4 {
            #expect(bucket.tryTake(now: Int64(step)) == .refused(retryAfterMs: 600 - Int64(step)))
        }
        #expect(!bucket.isPenalised(now: 4))
        // 4 ms were earned at full rate (4/600 token); the rest takes 1,192 ms at half rate.
        #expect(bucket.tryTake(now: 4) == .refused(retryAfterMs: 1_192))
        #expect(bucket.isPenalised(now: 4) && bucket.isPenalised(now: 60_003) && !bucket.isPenalised(now: 60_004))
        #expect(bucket.availableTokens(now: 1_195) == 0)
        #expect(bucket.tryTake(now: 1_196) == .allowed)
    }

    @Test func refusalsSpreadOverMoreThanTheWindowDoNotPenalise() {
        let configuration = TokenBucket.Configuration(perMinute: 1, burst: 1)
        var bucket = TokenBucket(configuration: configuration, now: 0)
        drain(&bucket, 1, now: 0)
        for now: Int64 in [1_000, 2_000, 3_000, 4_000, 11_000] { _ = bucket.tryTake(now: now) }
        #expect(!bucket.isPenalised(now: 11_000)) // the window restarted at 11,000 with one refusal
        for now: Int64 in [11_001, 11_002, 11_003] { _ = bucket.tryTake(now: now) }
        #expect(!bucket.isPenalised(now: 11_003))
        _ = bucket.tryTake(now: 11_004)
        #expect(bucket.isPenalised(now: 11_004))
    }

    @Test func penaltyEndsAndRefillIsExactAcrossItsEnd() {
        let configuration = TokenBucket.Configuration(perMinute: 60, burst: 100) // 1 token/s, 0.5/s penalised
        var bucket = TokenBucket(configuration: configuration, now: 0)
        drain(&bucket, 100, now: 0)
        for _ in 0..<5 { _ = bucket.tryTake(now: 0) }
        #expect(bucket.isPenalised(now: 0))
        #expect(bucket.availableTokens(now: 60_000) == 30)
        #expect(bucket.availableTokens(now: 70_000) == 40)
    }

    @Test func retryAfterSpansThePenaltyEnd() {
        let configuration = TokenBucket.Configuration(perMinute: 1, burst: 1, penaltyDurationMs: 1_000)
        var bucket = TokenBucket(configuration: configuration, now: 0)
        drain(&bucket, 1, now: 0)
        for _ in 0..<4 { _ = bucket.tryTake(now: 0) }
        // 1,000 ms at half rate (1/120 s) earn 1/120 token; the rest at 1/60 s takes 59,500 ms.
        #expect(bucket.tryTake(now: 0) == .refused(retryAfterMs: 60_500))
        #expect(bucket.tryTake(now: 60_499) != .allowed)
        // That was a new refusal window: no new penalty after one refusal.
        #expect(bucket.tryTake(now: 60_500) == .allowed)
    }

    @Test func rateChangesKeepEarnedTokensAndPenalty() {
        var bucket = TokenBucket(now: 0)
        drain(&bucket, 10, now: 0)
        bucket.setRate(perMinute: 20, now: 300) // half a token earned at 100/min
        #expect(bucket.tryTake(now: 1_799) == .refused(retryAfterMs: 1))
        #expect(bucket.tryTake(now: 1_800) == .allowed) // the other half at 20/min: 1,500 ms
        #expect(bucket.configuration.perMinute == 20)

        var penalised = TokenBucket(configuration: TokenBucket.Configuration(perMinute: 5), now: 0)
        drain(&penalised, 10, now: 0)
        for _ in 0..<5 { _ = penalised.tryTake(now: 0) }
        penalised.setRate(perMinute: 100, now: 10)
        #expect(penalised.isPenalised(now: 10))
        // 10 ms at half of 5/min earned 1/2400 token; the rest at half of 100/min: 1,199.5 ms.
        #expect(penalised.tryTake(now: 10) == .refused(retryAfterMs: 1_200))
    }

    @Test func clockGoingBackNeverRefillsOrTraps() {
        var bucket = TokenBucket(now: 10_000)
        drain(&bucket, 10, now: 10_000)
        #expect(bucket.tryTake(now: 5_000) == .refused(retryAfterMs: 5_600))
        #expect(bucket.availableTokens(now: 5_000) == 0)
        #expect(bucket.tryTake(now: 10_600) == .allowed)
        var extreme = TokenBucket(now: .min)
        #expect(extreme.tryTake(now: .max) == .allowed)
        #expect(extreme.availableTokens(now: .max) == 9)
        drain(&extreme, 9, now: .max)
        for _ in 0..<10 { _ = extreme.tryTake(now: .max) }
        #expect(extreme.tryTake(now: .min) != .allowed)
    }

    @Test func usersHaveTheirOwnBuckets() {
        var limiter = UserRateLimiter()
        for _ in 0..<10 { #expect(limiter.tryTake(user: 1, now: 0) == .allowed) }
        #expect(limiter.tryTake(user: 1, now: 0) == .refused(retryAfterMs: 600))
        #expect(limiter.tryTake(user: 2, now: 0) == .allowed)
        #expect(limiter.count == 2)
        limiter.setRate(perMinute: LoadLevel.high.messagesPerMinute, now: 0)
        #expect(limiter.tryTake(user: 1, now: 0) == .refused(retryAfterMs: 12_000))
        #expect(limiter.bucket(for: 3) == nil)
        #expect(limiter.tryTake(user: 3, now: 0) == .allowed)
        #expect(limiter.bucket(for: 3)?.configuration.perMinute == 5)
    }

    @Test func sweepForgetsOnlyIdleBuckets() {
        var limiter = UserRateLimiter()
        _ = limiter.tryTake(user: 1, now: 0) // full again 600 ms later
        for _ in 0..<15 { _ = limiter.tryTake(user: 2, now: 0) } // penalised until 60,000
        #expect(limiter.sweep(now: 599) == 0)
        #expect(limiter.sweep(now: 600) == 1)
        #expect(limiter.bucket(for: 1) == nil && limiter.bucket(for: 2) != nil)
        #expect(limiter.sweep(now: 59_999) == 0)
        #expect(limiter.sweep(now: 60_000) == 1)
        #expect(limiter.count == 0)
    }

    @Test func automaticSweepsBoundTheTable() {
        var limiter = UserRateLimiter(minimumSweepSize: 8)
        for user in UInt32(0)..<1_000 {
            _ = limiter.tryTake(user: user, now: Int64(user) * 1_000)
            #expect(limiter.count <= 16)
        }
    }

    @Test func levelsMapToTheDesignRates() {
        #expect(LoadLevel.allCases.map(\.messagesPerMinute) == [100, 20, 5, 5])
    }
}
