import Actors
import Gateway

// MARK: - Degradation levels (DESIGN.md, "Load and degradation")

extension LoadLevel {
    /// Features switched off at this level (their commands answer `degraded`).
    public var disabledFeatures: [DegradableFeature] {
        self == .critical ? [.typing, .presence, .receipts, .edits, .uploads] : []
    }

    /// Whether LOW events (typing, presence changes, read receipts) are dropped.
    public var dropsLowEvents: Bool { self >= .high }
}

extension ChatService {
    /// Applies a new level: per-user rates, features, and a `mode` event to every client.
    public func setLevel(_ newLevel: LoadLevel) {
        guard newLevel != level else { return }
        level = newLevel
        rateLimiter.setRate(perMinute: rate(at: newLevel), now: now())
        if newLevel < .high { flushAllPacers() }
        Log.warn("load.level", ["level": newLevel.rawValue])
        guard let gateway, !sessions.isEmpty else { return }
        let mode = OutboundMessage(
            payload: ServerEventEncoder.mode(level: newLevel, disabled: newLevel.disabledFeatures), priority: .critical)
        let everyone = Array(sessions.keys)
        gateway.assumeIsolated { $0.broadcast(mode, to: everyone) }
    }

    /// Messages per minute per user at `level`: the configured base at normal, then the
    /// design's 20, 5, 5 (never above the base).
    func rate(at level: LoadLevel) -> Int {
        min(configuration.rateLimitPerMinute, level == .normal ? configuration.rateLimitPerMinute : level.messagesPerMinute)
    }

    /// Replies `degraded` and returns false when `feature` is off at the current level.
    func allows(_ feature: DegradableFeature, _ session: ClientSession) -> Bool {
        guard level.disabledFeatures.contains(feature) else { return true }
        reply(ProtocolError(.degraded, "\(feature.rawValue) is off at load level \(level.rawValue)"), to: session)
        return false
    }

    /// Sends the current mode to a new connection when the level is not normal.
    func greet(_ connection: ConnectionID) {
        guard level != .normal else { return }
        send(ServerEventEncoder.mode(level: level, disabled: level.disabledFeatures), to: connection, priority: .critical)
    }
}
