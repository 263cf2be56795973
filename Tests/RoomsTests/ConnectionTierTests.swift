import Testing
@testable import Rooms

@Suite struct ConnectionTierTests {
    let now: Int64 = 10_000_000

    @Test func premiumTokensAreAlwaysPremium() {
        #expect(ConnectionTier.of(premium: true, lastSentMs: nil, lastActivityMs: 0, nowMs: now) == .premium)
    }

    @Test func recentSendersAreActive() {
        #expect(ConnectionTier.of(premium: false, lastSentMs: now - 60_000, lastActivityMs: now - 60_000, nowMs: now) == .active)
        #expect(ConnectionTier.of(premium: false, lastSentMs: now - 300_000, lastActivityMs: now - 10, nowMs: now) == .lurker)
    }

    @Test func quietConnectionsBecomeIdle() {
        #expect(ConnectionTier.of(premium: false, lastSentMs: nil, lastActivityMs: now - 299_999, nowMs: now) == .lurker)
        #expect(ConnectionTier.of(premium: false, lastSentMs: nil, lastActivityMs: now - 300_000, nowMs: now) == .idle)
    }

    @Test func budgetsFollowTheDesign() {
        #expect(ConnectionTier.allCases.map(\.budget) == [131_072, 65_536, 16_384, 4_096])
    }
}
