import Foundation

/// A three-master Valkey Cluster of fresh servers for end-to-end tests: cluster mode on,
/// slots split evenly (`CLUSTER ADDSLOTSRANGE`), distinct epochs, `CLUSTER MEET`, then a
/// bounded wait for `cluster_state:ok` everywhere. Raw commands only.
public final class ValkeyClusterServers: @unchecked Sendable {
    /// The masters.
    public let servers: [ValkeyServer]

    /// `host:port` of every master, comma-separated (the node's `VALKEY_HOSTS`).
    public var hosts: String { servers.map(\.address).joined(separator: ",") }

    /// Builds the cluster.
    public init(masters: Int = 3) async throws {
        servers = try (0..<masters).map { _ in
            try ValkeyServer(arguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
        }
        let size = 16384 / masters
        for (index, server) in servers.enumerated() {
            let low = index * size
            let high = index == masters - 1 ? 16383 : (index + 1) * size - 1
            _ = try server.command("CLUSTER", "ADDSLOTSRANGE", String(low), String(high))
            _ = try server.command("CLUSTER", "SET-CONFIG-EPOCH", String(index + 1))
        }
        for server in servers.dropFirst() {
            _ = try servers[0].command("CLUSTER", "MEET", "127.0.0.1", String(server.port))
        }
        let all = servers
        try await eventually("cluster_state:ok", timeout: .seconds(15), poll: .milliseconds(20)) {
            try all.allSatisfy { try $0.command("CLUSTER", "INFO").contains("cluster_state:ok") }
        }
    }
}
