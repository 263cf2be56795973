import Rooms
import Testing
@testable import NodeKit

@Suite struct LoadLevelStateMachineTests {
    @Test func thresholds() {
        #expect(LoadLevelStateMachine.level(for: 0.49) == .normal)
        #expect(LoadLevelStateMachine.level(for: 0.50) == .elevated)
        #expect(LoadLevelStateMachine.level(for: 0.849) == .elevated)
        #expect(LoadLevelStateMachine.level(for: 0.85) == .high)
        #expect(LoadLevelStateMachine.level(for: 0.95) == .critical)
        #expect(LoadLevelStateMachine.level(for: 3.0) == .critical)
    }

    @Test func stepsUpAtOnceEvenSeveralLevels() {
        var machine = LoadLevelStateMachine()
        #expect(machine.sample(load: 0.2, at: 0) == .unchanged)
        #expect(machine.sample(load: 0.97, at: 5) == .changed(from: .normal, to: .critical))
        #expect(machine.level == .critical)
    }

    @Test func recoveryTakesAboutFiveMinutesOneLevelAtATime() {
        var machine = LoadLevelStateMachine()
        _ = machine.sample(load: 0.99, at: 0)
        var changes: [(Double, LoadLevel)] = []
        var time = 5.0
        while time <= 400 {
            if case .changed(_, let to) = machine.sample(load: 0.1, at: time) { changes.append((time, to)) }
            time += 5
        }
        #expect(changes.map(\.1) == [.high, .elevated, .normal])
        #expect(changes.map(\.0) == [35, 170, 305])
    }

    @Test func loadAboveTheWayDownThresholdHoldsTheLevel() {
        var machine = LoadLevelStateMachine()
        _ = machine.sample(load: 0.9, at: 0)
        for step in 1...100 { _ = machine.sample(load: 0.82, at: Double(step) * 5) }
        #expect(machine.level == .high, "82 % is not below 80 %")
        var elevated = LoadLevelStateMachine()
        _ = elevated.sample(load: 0.6, at: 0)
        for step in 1...100 { _ = elevated.sample(load: 0.55, at: Double(step) * 5) }
        #expect(elevated.level == .elevated, "elevated is left only below 50 %")
    }

    @Test func aSpikeDuringRecoveryStartsItOver() {
        var machine = LoadLevelStateMachine()
        _ = machine.sample(load: 0.9, at: 0)
        _ = machine.sample(load: 0.1, at: 5)
        _ = machine.sample(load: 0.1, at: 30)
        _ = machine.sample(load: 0.83, at: 33)  // not below 80 %: the clock resets
        #expect(machine.sample(load: 0.1, at: 36) == .unchanged)
        #expect(machine.sample(load: 0.1, at: 60) == .unchanged)
        #expect(machine.sample(load: 0.1, at: 66) == .changed(from: .high, to: .elevated))
    }

    @Test func pinOverridesAndUnpinRestoresTheAutomaticLevel() {
        var machine = LoadLevelStateMachine()
        #expect(machine.pin(.critical) == .changed(from: .normal, to: .critical))
        #expect(machine.sample(load: 0.1, at: 0) == .unchanged)
        #expect(machine.level == .critical)
        _ = machine.sample(load: 0.9, at: 5)
        #expect(machine.pin(nil) == .changed(from: .critical, to: .high))
    }
}
