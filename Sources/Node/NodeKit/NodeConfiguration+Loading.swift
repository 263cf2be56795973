import Foundation
import Actors

/// Why the configuration was refused: every problem found, one per line.
public struct NodeConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The problems.
    public let problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

extension NodeConfiguration {
    /// The settings, by environment name; the flag is the lower-case name with dashes.
    static let settingNames = [
        "PORT", "HOST", "VALKEY_HOSTS", "VALKEY_MODE", "STORE", "NODE_ID", "MAX_CONNECTIONS", "RATE_LIMIT",
        "JWT_SECRET", "DEV_LOGIN", "HISTORY_TTL", "HISTORY_MAX", "MEMORY_LIMIT_MB", "CONTROL_SOCKET",
        "CONTROL_TOKEN", "LOG_LEVEL", "TLS_CERT", "TLS_KEY", "GATEWAY_LOOPS", "WEB_ROOT", "MAX_MESSAGE_BYTES",
        "MAX_TEXT_BYTES", "DEFLATE", "LOAD_SAMPLE_SECONDS",
        "LOAD_RECOVERY_SECONDS", "LOAD_STEP_SECONDS", "ADMISSION_QUEUE", "ADMISSION_WAIT_MS", "ADMISSION_RATE",
        "PRESENCE_REFRESH_SECONDS",
    ]

    /// Reads `environment`, then `arguments` (without the program name), and validates.
    public static func load(environment: [String: String], arguments: [String]) throws(NodeConfigurationError) -> NodeConfiguration {
        var problems: [String] = []
        var values: [String: String] = [:]
        for name in settingNames { if let value = environment[name] { values[name] = value } }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else {
                problems.append("unexpected argument \(argument)")
                continue
            }
            var flag = String(argument.dropFirst(2))
            var value: String?
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            }
            let name = flag.uppercased().replacingOccurrences(of: "-", with: "_")
            guard settingNames.contains(name) else {
                problems.append("unknown flag --\(flag)")
                continue
            }
            if value == nil {
                if name == "DEV_LOGIN" || name == "DEFLATE" {
                    value = "1"
                } else if index < arguments.count {
                    value = arguments[index]
                    index += 1
                } else {
                    problems.append("--\(flag) needs a value")
                    continue
                }
            }
            values[name] = value
        }
        var config = NodeConfiguration()
        config.controlSocket = defaultControlSocket(environment: environment)
        config.apply(values, problems: &problems)
        config.validate(problems: &problems)
        if !problems.isEmpty { throw NodeConfigurationError(problems: problems) }
        return config
    }

    private mutating func apply(_ values: [String: String], problems: inout [String]) {
        func int(_ name: String, _ range: ClosedRange<Int>, _ target: inout Int) {
            guard let text = values[name] else { return }
            guard let number = Int(text), range.contains(number) else {
                problems.append("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
                return
            }
            target = number
        }
        func flag(_ name: String, _ target: inout Bool) {
            guard let text = values[name] else { return }
            switch text.lowercased() {
            case "1", "true", "yes", "on": target = true
            case "0", "false", "no", "off", "": target = false
            default: problems.append("\(name) must be 1 or 0, got \"\(text)\"")
            }
        }
        int("PORT", 0...65535, &port)
        if let text = values["HOST"] { host = text }
        if let text = values["VALKEY_HOSTS"] {
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = parts.compactMap(HostPort.init(parsing:))
            if parsed.isEmpty || parsed.count != parts.count {
                problems.append("VALKEY_HOSTS must be host:port[,host:port...], got \"\(text)\"")
            } else if parsed.count > 64 {
                problems.append("VALKEY_HOSTS lists more than 64 servers")
            } else {
                valkeyHosts = parsed
            }
        }
        if let text = values["VALKEY_MODE"] {
            if let mode = ValkeyMode(rawValue: text.lowercased()) { valkeyMode = mode } else {
                problems.append("VALKEY_MODE must be shards or cluster, got \"\(text)\"")
            }
        }
        if let text = values["STORE"] {
            if let kind = StoreKind(rawValue: text.lowercased()) { store = kind } else {
                problems.append("STORE must be valkey or memory, got \"\(text)\"")
            }
        }
        if values["NODE_ID"] != nil {
            var id = 0
            int("NODE_ID", 0...1023, &id)
            nodeID = id
        }
        int("MAX_CONNECTIONS", 1...1_000_000, &maxConnections)
        int("RATE_LIMIT", 1...100_000, &rateLimit)
        if let text = values["JWT_SECRET"], !text.isEmpty { jwtSecret = text }
        flag("DEV_LOGIN", &devLogin)
        int("HISTORY_TTL", 1...31_536_000, &historyTTL)
        int("HISTORY_MAX", 1...1_000_000, &historyMax)
        int("MEMORY_LIMIT_MB", 16...1_048_576, &memoryLimitMB)
        if let text = values["CONTROL_SOCKET"], !text.isEmpty { controlSocket = text }
        if let text = values["CONTROL_TOKEN"], !text.isEmpty { controlToken = text }
        if let text = values["LOG_LEVEL"] {
            if let level = LogLevel(name: text) { logLevel = level } else {
                problems.append("LOG_LEVEL must be debug, info, warn, error or off, got \"\(text)\"")
            }
        }
        if let text = values["TLS_CERT"], !text.isEmpty { tlsCert = text }
        if let text = values["TLS_KEY"], !text.isEmpty { tlsKey = text }
        int("GATEWAY_LOOPS", 1...64, &gatewayLoops)
        if let text = values["WEB_ROOT"], !text.isEmpty { webRoot = text }
        int("MAX_MESSAGE_BYTES", 1024...16_777_216, &maxMessageBytes)
        int("MAX_TEXT_BYTES", 1...1_048_576, &maxTextBytes)
        flag("DEFLATE", &deflate)
        int("LOAD_SAMPLE_SECONDS", 1...3600, &loadSampleSeconds)
        int("LOAD_RECOVERY_SECONDS", 1...3600, &loadRecoverySeconds)
        int("LOAD_STEP_SECONDS", 1...3600, &loadStepSeconds)
        int("ADMISSION_QUEUE", 0...100_000, &admissionQueue)
        int("ADMISSION_WAIT_MS", 100...60_000, &admissionWaitMs)
        int("ADMISSION_RATE", 1...100_000, &admissionRate)
        int("PRESENCE_REFRESH_SECONDS", 1...3600, &presenceRefreshSeconds)
    }

    private func validate(problems: inout [String]) {
        if jwtSecret == nil && !devLogin {
            problems.append("JWT_SECRET is required (or DEV_LOGIN=1 for development, which uses a random secret)")
        }
        if let secret = jwtSecret, secret.utf8.count < 16, !devLogin {
            problems.append("JWT_SECRET must be at least 16 bytes")
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            problems.append("TLS_CERT and TLS_KEY must be given together")
        }
        if maxTextBytes > maxMessageBytes {
            problems.append("MAX_TEXT_BYTES must not exceed MAX_MESSAGE_BYTES")
        }
        if controlSocket.utf8.count > 100 {
            problems.append("CONTROL_SOCKET path must be at most 100 bytes (a Unix socket path limit)")
        }
    }
}
