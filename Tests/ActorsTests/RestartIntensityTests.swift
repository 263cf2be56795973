import Actors
import Testing

/// The sliding window of restart intensity, driven by explicit timestamps.
@Suite struct RestartIntensityTests {
    /// `recordRestart` through a plain function: `#expect` cannot take a mutating call.
    func record(_ intensity: inout RestartIntensity, at now: Duration) -> Bool {
        intensity.recordRestart(at: now)
    }

    @Test func allowsExactlyMaxRestartsWithinThePeriod() {
        var intensity = RestartIntensity(maxRestarts: 3, within: .seconds(5))
        #expect(record(&intensity, at: .seconds(0)) == true)
        #expect(record(&intensity, at: .seconds(1)) == true)
        #expect(record(&intensity, at: .seconds(2)) == true)
        #expect(record(&intensity, at: .seconds(3)) == false)
    }

    @Test func allRestartsAtTheSameInstantCount() {
        var intensity = RestartIntensity(maxRestarts: 2, within: .seconds(1))
        #expect(record(&intensity, at: .zero) == true)
        #expect(record(&intensity, at: .zero) == true)
        #expect(record(&intensity, at: .zero) == false)
    }

    @Test func oldRestartsSlideOutOfTheWindow() {
        var intensity = RestartIntensity(maxRestarts: 3, within: .seconds(5))
        #expect(record(&intensity, at: .seconds(0)) == true)
        #expect(record(&intensity, at: .seconds(1)) == true)
        #expect(record(&intensity, at: .seconds(2)) == true)
        // The restart at 0 s is a full period old at 5 s: it no longer counts.
        #expect(intensity.restartsInWindow(at: .seconds(5)) == 2)
        #expect(record(&intensity, at: .seconds(5)) == true)
        #expect(intensity.restartsInWindow(at: .seconds(5)) == 3)
        // 1 s, 2 s and 5 s are still inside the window at 5.5 s.
        #expect(record(&intensity, at: .milliseconds(5_500)) == false)
    }

    @Test func aRestartJustInsideThePeriodStillCounts() {
        var intensity = RestartIntensity(maxRestarts: 1, within: .seconds(5))
        #expect(record(&intensity, at: .zero) == true)
        #expect(intensity.restartsInWindow(at: .milliseconds(4_999)) == 1)
        #expect(record(&intensity, at: .milliseconds(4_999)) == false)
    }

    @Test func aSteadyRateBelowTheLimitNeverGivesUp() {
        var intensity = RestartIntensity(maxRestarts: 2, within: .seconds(10))
        for second in stride(from: 0, to: 600, by: 5) {
            #expect(record(&intensity, at: .seconds(second)) == true)
        }
    }

    @Test func zeroRestartsRefusesTheFirst() {
        var intensity = RestartIntensity(maxRestarts: 0, within: .seconds(5))
        #expect(record(&intensity, at: .zero) == false)
        #expect(RestartIntensity(maxRestarts: -3).maxRestarts == 0)
    }

    @Test func defaultsAreThreeInFiveSeconds() {
        let intensity = RestartIntensity()
        #expect(intensity.maxRestarts == 3)
        #expect(intensity.period == .seconds(5))
    }
}
