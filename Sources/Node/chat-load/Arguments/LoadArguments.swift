import Foundation
/// What the command line asks for.
enum LoadCommand: Sendable, Equatable {
    /// Run a scenario.
    case run(LoadConfiguration)
    /// Print the usage text (to stdout, exit 0).
    case help
    /// Hidden: read durations in nanoseconds from stdin, one per line, and print the
    /// histogram's summary as JSON: lets tests check the histogram from outside.
    case histogramCheck
    /// Serve the trivial Gateway peer (`chat-load peer [--host H] [--port P]`).
    case peer(host: String, port: Int)
}

/// A refused command line: printed with the usage hint, exit status 2.
struct LoadArgumentError: Error, Equatable, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Parses `chat-load <scenario> [--flag value | --flag=value | --switch] ...`.
///
/// Flags set on top of the scenario's defaults; a flag that makes no sense for the scenario
/// (`--rate` for `burst`, `--bursts` for `chat`) is refused rather than ignored.
enum LoadArguments {
    static func parse(_ arguments: [String]) throws(LoadArgumentError) -> LoadCommand {
        guard let first = arguments.first else { return .help }
        if first == "help" || first == "--help" || first == "-h" { return .help }
        if first == "histogram-check" { return .histogramCheck }
        if first == "peer" { return try parsePeer(Array(arguments.dropFirst())) }
        guard let scenario = Scenario(rawValue: first) else {
            throw LoadArgumentError(message: "unknown scenario \"\(first)\" (one of: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var config = scenario.defaults
        var explicit = ExplicitPacing()
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            guard argument.hasPrefix("--") else { throw LoadArgumentError(message: "unexpected argument \"\(argument)\"") }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if let apply = switches[name] {
                if let inline, !["1", "true", "yes", "on"].contains(inline) { throw LoadArgumentError(message: "--\(name) takes no value") }
                apply(&config)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else if index < arguments.count {
                value = arguments[index]
                index += 1
            } else {
                throw LoadArgumentError(message: "--\(name) needs a value")
            }
            try apply(name, value, to: &config, explicit: &explicit)
        }
        try explicit.resolve(into: &config)
        try validate(config)
        return .run(config)
    }

    /// `peer [--host 127.0.0.1] [--port 8090]`.
    private static func parsePeer(_ arguments: [String]) throws(LoadArgumentError) -> LoadCommand {
        var host = "127.0.0.1"
        var port = 8090
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard index + 1 < arguments.count else { throw LoadArgumentError(message: "\(name) needs a value") }
            let value = arguments[index + 1]
            index += 2
            switch name {
            case "--host": host = value
            case "--port": port = try integer("port", value, 0...65_535)
            default: throw LoadArgumentError(message: "peer: unknown flag \(name) (--host, --port)")
            }
        }
        return .peer(host: host, port: port)
    }

    private static let switches: [String: @Sendable (inout LoadConfiguration) -> Void] = [
        "json": { $0.json = true },
        "allow-remote": { $0.allowRemote = true },
        "binary": { $0.binary = true },
        "quiet": { $0.quiet = true },
        "print-config": { $0.printConfig = true },
    ]

    // MARK: - Flags with a value

    private static func apply(
        _ name: String, _ value: String, to config: inout LoadConfiguration, explicit: inout ExplicitPacing
    ) throws(LoadArgumentError) {
        switch name {
        case "url": config.url = value
        case "secret":
            guard !value.isEmpty else { throw LoadArgumentError(message: "--secret must not be empty") }
            config.secret = value
        case "token-url": config.tokenURL = value
        case "metrics-url": config.metricsURL = value
        case "connections": config.connections = try integer(name, value, 1...1_000_000)
        case "start": config.startConnections = try integer(name, value, 0...1_000_000)
        case "ramp": config.rampSeconds = try seconds(name, value)
        case "duration", "hold": config.duration = try seconds(name, value)
        case "rooms": config.rooms = try integer(name, value, 1...10_000_000)
        case "room-base": config.roomBase = UInt32(try integer(name, value, 0...Int(UInt32.max)))
        case "rate": explicit.rate = try positive(name, value)
        case "interval": explicit.interval = try interval(value)
        case "bursts": explicit.bursts = try integer(name, value, 1...1_000_000)
        case "gap": explicit.gap = try seconds(name, value)
        case "senders": config.senders = try integer(name, value, 1...1_000_000)
        case "size": config.size = try integer(name, value, 1...60_000)
        case "threads": config.threads = try integer(name, value, 1...64)
        case "pid": config.pid = Int32(try integer(name, value, 1...Int(Int32.max)))
        case "connect-rate": config.connectRate = try positive(name, value)
        case "connect-timeout": config.connectTimeout = try seconds(name, value)
        case "drain": config.drainSeconds = try seconds(name, value)
        case "sample": config.sampleSeconds = try seconds(name, value)
        case "user-base": config.userBase = UInt32(try integer(name, value, 0...Int(UInt32.max)))
        case "deadline": config.deadline = try seconds(name, value)
        default: throw LoadArgumentError(message: "unknown flag --\(name)")
        }
    }

    private static func integer(_ name: String, _ text: String, _ range: ClosedRange<Int>) throws(LoadArgumentError) -> Int {
        let digits = text.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
        guard let value = Int(digits), range.contains(value) else {
            throw LoadArgumentError(message: "--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    private static func positive(_ name: String, _ text: String) throws(LoadArgumentError) -> Double {
        guard let value = Double(text), value.isFinite, value > 0 else {
            throw LoadArgumentError(message: "--\(name) must be a positive number, got \"\(text)\"")
        }
        return value
    }

    private static func seconds(_ name: String, _ text: String) throws(LoadArgumentError) -> Double {
        guard let value = DurationText.seconds(text) else {
            throw LoadArgumentError(message: "--\(name) must be a duration (90, 90s, 250ms, 5m, 1h), got \"\(text)\"")
        }
        return value
    }

    private static func interval(_ text: String) throws(LoadArgumentError) -> ClosedRange<Double> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let bounds = parts.compactMap(DurationText.seconds)
        guard bounds.count == parts.count, (1...2).contains(bounds.count), let low = bounds.first, let high = bounds.last,
              low > 0, low <= high else {
            throw LoadArgumentError(message: "--interval must be MIN-MAX or a duration (5s-10s, 5-10, 2s), got \"\(text)\"")
        }
        return low...high
    }

    // MARK: - Validation

    private static func validate(_ config: LoadConfiguration) throws(LoadArgumentError) {
        if config.secret != nil && config.tokenURL != nil {
            throw LoadArgumentError(message: "--secret and --token-url exclude each other")
        }
        if config.scenario == .ramp && config.startConnections > config.connections {
            throw LoadArgumentError(message: "--start (\(config.startConnections)) exceeds --connections (\(config.connections))")
        }
        if let senders = config.senders, senders > config.connections {
            throw LoadArgumentError(message: "--senders (\(senders)) exceeds --connections (\(config.connections))")
        }
        if config.binary {
            guard config.scenario.joinsRooms else { throw LoadArgumentError(message: "--binary needs a scenario that sends") }
            guard UInt64(config.roomBase) + UInt64(config.rooms) - 1 <= UInt64(UInt16.max) else {
                throw LoadArgumentError(message: "--binary addresses rooms 0...65535 only (PROTOCOL.md)")
            }
            guard config.size <= 65_000 else { throw LoadArgumentError(message: "--binary carries at most 65,000 text bytes here") }
        }
        guard UInt64(config.roomBase) + UInt64(config.rooms) - 1 <= UInt64(UInt32.max) else {
            throw LoadArgumentError(message: "--room-base + --rooms passes the largest room id (4294967295)")
        }
    }
}

/// Pacing flags as given, resolved against the scenario once all flags are read.
private struct ExplicitPacing {
    var rate: Double?
    var interval: ClosedRange<Double>?
    var bursts: Int?
    var gap: Double?

    func resolve(into config: inout LoadConfiguration) throws(LoadArgumentError) {
        if rate != nil && interval != nil { throw LoadArgumentError(message: "--rate and --interval exclude each other") }
        switch config.scenario {
        case .idle:
            if rate != nil || interval != nil || bursts != nil || gap != nil {
                throw LoadArgumentError(message: "idle sends nothing: --rate, --interval, --bursts and --gap do not apply")
            }
        case .burst:
            if rate != nil || interval != nil {
                throw LoadArgumentError(message: "burst sends in bursts: use --bursts and --gap, not --rate or --interval")
            }
            if case .burst(let count, let spacing) = config.pacing {
                config.pacing = .burst(count: bursts ?? count, gap: gap ?? spacing)
            }
        case .ramp, .sustained, .fanout, .chat:
            if bursts != nil || gap != nil {
                throw LoadArgumentError(message: "--bursts and --gap apply to burst only")
            }
            if let rate { config.pacing = .rate(rate) }
            if let interval { config.pacing = .interval(min: interval.lowerBound, max: interval.upperBound) }
        }
    }
}

/// Durations on the command line: `90` and `90s` seconds, `250ms`, `5m`, `1h`, decimals
/// allowed (`1.5s`).
enum DurationText {
    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600)]
        var number = Substring(text)
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * scale
    }
}
