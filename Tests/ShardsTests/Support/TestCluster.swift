import Foundation
import Testing
import TestSupport
@testable import Shards

/// A Valkey Cluster of fresh servers built the way an operator would: cluster mode on,
/// slots split evenly with `CLUSTER ADDSLOTSRANGE`, distinct config epochs, `CLUSTER MEET`,
/// then wait for `cluster_state:ok` on every node. Checks go through raw commands
/// (TestSupport's `RawRESP`), independent of the client under test.
final class TestCluster {
    let servers: [ValkeyServer]
    /// Node ids, by server index.
    let ids: [String]
    /// Slot ranges, by server index.
    let ranges: [ClosedRange<Int>]

    init(masters: Int = 3) async throws {
        servers = try (0..<masters).map { _ in
            try ValkeyServer(arguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
        }
        let size = HashSlot.count / masters
        ranges = (0..<masters).map { index in
            index * size...(index == masters - 1 ? HashSlot.count - 1 : (index + 1) * size - 1)
        }
        var ids: [String] = []
        for (index, server) in servers.enumerated() {
            _ = try Self.raw(server, ["CLUSTER", "ADDSLOTSRANGE", String(ranges[index].lowerBound), String(ranges[index].upperBound)])
            _ = try Self.raw(server, ["CLUSTER", "SET-CONFIG-EPOCH", String(index + 1)])
            ids.append(try Self.raw(server, ["CLUSTER", "MYID"]).string ?? "")
        }
        self.ids = ids
        for server in servers.dropFirst() {
            _ = try Self.raw(servers[0], ["CLUSTER", "MEET", "127.0.0.1", String(server.port)])
        }
        try await waitUntilConverged()
    }

    /// The seed addresses for a client (the first node only: the rest is learned).
    var seeds: [ValkeyAddress] { [ValkeyAddress(host: "127.0.0.1", port: servers[0].port)] }

    /// The address of server `index`.
    func address(_ index: Int) -> ValkeyAddress { ValkeyAddress(host: "127.0.0.1", port: servers[index].port) }

    /// The index of the server whose initial range holds `slot`.
    func initialOwner(ofSlot slot: Int) -> Int { ranges.firstIndex { $0.contains(slot) } ?? 0 }

    /// Sends one command to server `index` and parses its reply.
    func raw(_ index: Int, _ arguments: [String]) throws -> RESPValue { try Self.raw(servers[index], arguments) }

    /// Waits (bounded) until every node reports `cluster_state:ok` and knows every node.
    func waitUntilConverged() async throws {
        try await eventually("cluster_state:ok on all nodes", timeout: .seconds(15), poll: .milliseconds(20)) {
            try self.servers.indices.allSatisfy { index in
                let info = try self.raw(index, ["CLUSTER", "INFO"]).string ?? ""
                let nodes = try self.raw(index, ["CLUSTER", "NODES"]).string ?? ""
                return info.contains("cluster_state:ok")
                    && nodes.split(separator: "\n").filter { $0.contains("master") && $0.contains("connected") }.count == self.servers.count
            }
        }
    }

    /// Moves `slot` from server `source` to server `target` with the classic dance:
    /// IMPORTING on the target, MIGRATING on the source, `MIGRATE ... KEYS` in steps of
    /// `keysPerStep` with `between` run after each step, then `SETSLOT NODE` on the target,
    /// the source and the others.
    func migrate(slot: Int, from source: Int, to target: Int, keysPerStep: Int = 5,
                 between: () async throws -> Void = {}) async throws {
        _ = try expectOK(raw(target, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", ids[source]]))
        _ = try expectOK(raw(source, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", ids[target]]))
        while true {
            let keys = try raw(source, ["CLUSTER", "GETKEYSINSLOT", String(slot), String(keysPerStep)]).array?.compactMap(\.string) ?? []
            if keys.isEmpty { break }
            _ = try expectOK(raw(source, ["MIGRATE", "127.0.0.1", String(servers[target].port), "", "0", "5000", "KEYS"] + keys))
            try await between()
        }
        try setSlot(slot, owner: target, order: [target, source] + servers.indices.filter { $0 != target && $0 != source })
    }

    /// `CLUSTER SETSLOT slot NODE <owner>` on the servers in `order`.
    func setSlot(_ slot: Int, owner: Int, order: [Int]) throws {
        for index in order { _ = try expectOK(raw(index, ["CLUSTER", "SETSLOT", String(slot), "NODE", ids[owner]])) }
    }

    private func expectOK(_ reply: RESPValue) throws -> RESPValue {
        if let message = reply.errorMessage { throw TestSupportError.io("cluster set-up: \(message)") }
        return reply
    }

    private static func raw(_ server: ValkeyServer, _ arguments: [String]) throws -> RESPValue {
        let text = try RawRESP.command(port: server.port, arguments)
        guard let reply = try RESPReader().read(Array(text.utf8)).first else {
            throw TestSupportError.io("no reply to \(arguments.first ?? "")")
        }
        return reply
    }
}
