import Actors
import Testing
@testable import NodeKit

@Suite struct NodeConfigurationTests {
    @Test func defaultsWithDevLogin() throws {
        let config = try NodeConfiguration.load(environment: ["DEV_LOGIN": "1"], arguments: [])
        #expect(config.port == 8080)
        #expect(config.devLogin)
        #expect(config.maxConnections == 3000)
        #expect(config.rateLimit == 100)
        #expect(config.valkeyMode == .shards)
        #expect(config.logLevel == .error)
    }

    @Test func environmentIsRead() throws {
        let config = try NodeConfiguration.load(environment: [
            "PORT": "9000", "VALKEY_HOSTS": "a:1,b:2, c:3", "VALKEY_MODE": "cluster", "NODE_ID": "7",
            "MAX_CONNECTIONS": "10", "RATE_LIMIT": "20", "JWT_SECRET": "0123456789abcdef0123", "LOG_LEVEL": "info",
        ], arguments: [])
        #expect(config.port == 9000)
        #expect(config.valkeyHosts == [HostPort(host: "a", port: 1), HostPort(host: "b", port: 2), HostPort(host: "c", port: 3)])
        #expect(config.valkeyMode == .cluster)
        #expect(config.nodeID == 7)
        #expect(config.maxConnections == 10)
        #expect(config.rateLimit == 20)
        #expect(config.jwtSecret == "0123456789abcdef0123")
        #expect(config.logLevel == .info)
    }

    @Test func flagsOverrideEnvironment() throws {
        let config = try NodeConfiguration.load(
            environment: ["PORT": "9000", "DEV_LOGIN": "1"],
            arguments: ["--port", "9100", "--store=memory", "--max-connections", "5"])
        #expect(config.port == 9100)
        #expect(config.store == .memory)
        #expect(config.maxConnections == 5)
    }

    @Test func everyProblemIsReported() {
        #expect(throws: NodeConfigurationError.self) {
            try NodeConfiguration.load(environment: [:], arguments: [])
        }
        do {
            _ = try NodeConfiguration.load(
                environment: ["PORT": "http", "VALKEY_HOSTS": "nohost", "NODE_ID": "5000", "LOG_LEVEL": "loud"],
                arguments: ["--bogus", "1"])
            Issue.record("accepted a bad configuration")
        } catch {
            let text = error.description
            for needle in ["PORT", "VALKEY_HOSTS", "NODE_ID", "LOG_LEVEL", "--bogus", "JWT_SECRET"] {
                #expect(text.contains(needle), "missing \(needle) in: \(text)")
            }
        }
    }

    @Test func gatewayLoopsAreReadAndBounded() throws {
        let two = try NodeConfiguration.load(environment: ["DEV_LOGIN": "1", "GATEWAY_LOOPS": "2"], arguments: [])
        #expect(two.gatewayLoops == 2)
        #expect(try NodeConfiguration.load(environment: ["DEV_LOGIN": "1"], arguments: []).gatewayLoops == 1)
        for bad in ["0", "65", "two"] {
            #expect(throws: NodeConfigurationError.self) {
                try NodeConfiguration.load(environment: ["DEV_LOGIN": "1", "GATEWAY_LOOPS": bad], arguments: [])
            }
        }
    }

    @Test func tlsNeedsBothFiles() {
        #expect(throws: NodeConfigurationError.self) {
            try NodeConfiguration.load(environment: ["DEV_LOGIN": "1", "TLS_CERT": "/c.pem"], arguments: [])
        }
    }

    @Test func shortSecretRefusedInProduction() {
        #expect(throws: NodeConfigurationError.self) {
            try NodeConfiguration.load(environment: ["JWT_SECRET": "short"], arguments: [])
        }
    }
}
