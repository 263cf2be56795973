/// The scenarios, each a subcommand. The first three are the original plan's load tests
/// (original-plan.txt, "5.1 Load Testing"); their defaults are the plan's figures.
enum Scenario: String, CaseIterable, Sendable {
    /// 100 connections rising to 1,000 over 5 minutes, then held for 10; each connection
    /// sends every 5-10 s meanwhile. Measures CPU, RAM and latency as the count grows.
    case ramp
    /// 500 connected users all send one message at once, 10 times, 5 s apart.
    case burst
    /// 1,000 connections each sending every 5-10 s at random for an hour; the node's
    /// memory sampled every minute to show leaks.
    case sustained
    /// One big room: 2,000 connections, one sender at 10 messages/s.
    case fanout
    /// Connections only: open, hold, close.
    case idle
    /// N connections in R rooms at a total rate (W1 shape by default: 1,000 in 100 rooms,
    /// 1,000 messages/s).
    case chat

    /// The scenario's defaults, before flags.
    var defaults: LoadConfiguration {
        var config = LoadConfiguration(scenario: self)
        switch self {
        case .ramp:
            config.startConnections = 100
            config.connections = 1_000
            config.rampSeconds = 300
            config.duration = 600
            config.rooms = 100
            config.pacing = .interval(min: 5, max: 10)
        case .burst:
            config.connections = 500
            config.rooms = 50
            config.pacing = .burst(count: 10, gap: 5)
        case .sustained:
            config.connections = 1_000
            config.rooms = 100
            config.duration = 3_600
            config.sampleSeconds = 60
            config.pacing = .interval(min: 5, max: 10)
        case .fanout:
            config.connections = 2_000
            config.rooms = 1
            config.senders = 1
            config.duration = 30
            config.pacing = .rate(10)
        case .idle:
            config.connections = 1_000
            config.duration = 30
            config.pacing = .none
        case .chat:
            config.connections = 1_000
            config.rooms = 100
            config.duration = 60
            config.pacing = .rate(1_000)
        }
        return config
    }

    /// Whether connections join rooms (every scenario but `idle`).
    var joinsRooms: Bool { self != .idle }

    /// One line for the usage text.
    var summary: String {
        switch self {
        case .ramp: return "100 connections rising to 1,000 over 5 min, held 10 min, each sending every 5-10 s"
        case .burst: return "500 users all send at once, 10 bursts 5 s apart"
        case .sustained: return "1,000 connections sending every 5-10 s for 1 h, node memory sampled each minute"
        case .fanout: return "one room of 2,000 connections, one sender at 10 msg/s, 30 s"
        case .idle: return "1,000 connections held open for 30 s, nothing sent"
        case .chat: return "1,000 connections in 100 rooms at 1,000 msg/s in total, 60 s"
        }
    }
}

/// How messages are paced.
enum Pacing: Sendable, Equatable {
    /// Nothing is sent.
    case none
    /// A total rate in messages per second, spread over the sending connections in turn.
    case rate(Double)
    /// Each connection sends once every `min ... max` seconds, uniformly at random.
    case interval(min: Double, max: Double)
    /// Every connection sends one message at once, `count` times, `gap` seconds apart.
    case burst(count: Int, gap: Double)
}
