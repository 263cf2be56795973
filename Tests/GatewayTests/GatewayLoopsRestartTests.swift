@preconcurrency import Glibc
import Foundation
import Testing
import TestSupport
@testable import Gateway

/// The gateway as a supervised child with two loops: a run that ends closes the sockets of
/// both loops, and the next run serves both loops again on a new port.
@Suite(.serialized) struct GatewayLoopsRestartTests {
    @Test func aRestartedRunServesBothLoopsAgain() async throws {
        let loop = try EventLoop.start(name: "gateway-restart")
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let application = EchoApplication()
        let gateway = try Gateway(loop: loop, ioLoops: try Gateway.startIOLoops(count: 1), configuration: configuration,
                                  application: application)
        for round in 0..<2 {
            let run = Task { try await gateway.run() }
            try await eventually("listening, round \(round)") { await gateway.isAccepting }
            let port = await gateway.port
            let clients = try await onOwnThread { try openClients(12, port: port) }
            #expect(Set(clients.map { loopOf($0.id) }) == [0, 1], "round \(round)")
            run.cancel()
            try await run.value
            // The run returned: every loop's sockets are closed and the application told.
            #expect(openSocketCount(port: port) == 0, "round \(round)")
            try await eventually("closes reported, round \(round)") {
                application.closed.withLock { $0 } == 12 * (round + 1)
            }
            let codes = try await onOwnThread { clients.map { $0.client.closeCode() } }
            #expect(codes == Array(repeating: UInt16(1001), count: 12))
        }
        loop.shutdown()
        gateway.ioLoops.forEach { $0.shutdown() }
    }
}
