@preconcurrency import Glibc
import Foundation
import Gateway
import Rooms

/// `chat-load peer`: a trivial chat server on the node's `Gateway` (epoll loop, one frame
/// built per message and shared by every recipient, one `writev` per connection per round),
/// speaking the subset chat-load uses: `join` → `joined`, `send` → `ack` + `msg` to the
/// other members. No auth, storage, history or limits.
///
/// It is there to measure chat-load itself: a sender cheaper per delivery than the
/// node-ws peer, so that the generator, not the server, runs out of CPU first. Each
/// connection's write budget is 1 MiB, so a generator falling behind is measured rather
/// than disconnected as a slow consumer.
///
/// Bound to the gateway's loop: every call arrives on it, inside the gateway's isolation.
final class GatewayPeer: GatewayApplication, @unchecked Sendable {
    private var rooms: [UInt32: [ConnectionID]] = [:]
    private var memberships: [ConnectionID: [UInt32]] = [:]
    private var lastID: UInt64 = 0

    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        request.path == "/ws" ? .upgrade(session: nil) : .respond(.error(.notFound))
    }

    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway) {
        gateway.setBudget(connection, bytes: 1 << 20)
    }

    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {
        guard case .text(let bytes) = message, let document = try? JSONDocument.parse(bytes),
              let type = document.root["t"]?.string,
              let room = document.root["room"]?.uint64.flatMap({ UInt32(exactly: $0) }) else { return }
        switch type {
        case "join":
            rooms[room, default: []].append(connection)
            memberships[connection, default: []].append(room)
            var writer = JSONWriter(capacity: 96)
            writer.beginObject()
            writer.field("t", "joined")
            writer.field("room", room)
            writer.field("epoch", "peer")
            writer.field("members", rooms[room]?.count ?? 0)
            writer.key("history")
            writer.beginArray()
            writer.endArray()
            writer.endObject()
            _ = gateway.send(OutboundMessage(payload: writer.bytes), to: connection)
        case "send":
            guard let members = rooms[room], let text = document.root["text"]?.string, let cid = document.root["cid"]?.string else { return }
            lastID += 1
            let ts = UInt64(Date().timeIntervalSince1970 * 1_000)
            var msg = JSONWriter(capacity: text.utf8.count + 96)
            msg.beginObject()
            msg.field("t", "msg")
            msg.field("room", room)
            msg.idField("id", lastID)
            msg.field("from", UInt32(truncatingIfNeeded: connection.slot))
            msg.field("ts", ts)
            msg.field("text", text)
            msg.endObject()
            gateway.broadcast(OutboundMessage(payload: msg.bytes), to: members.lazy.filter { $0 != connection })
            var ack = JSONWriter(capacity: 96)
            ack.beginObject()
            ack.field("t", "ack")
            ack.field("cid", cid)
            ack.idField("id", lastID)
            ack.field("ts", ts)
            ack.endObject()
            _ = gateway.send(OutboundMessage(payload: ack.bytes), to: connection)
        default:
            break
        }
    }

    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {
        for room in memberships.removeValue(forKey: connection) ?? [] {
            rooms[room]?.removeAll { $0 == connection }
            if rooms[room]?.isEmpty == true { rooms[room] = nil }
        }
    }

    /// Serves on `host:port` until SIGINT or SIGTERM; prints `{"listening":PORT}` once
    /// it accepts connections.
    static func serve(host: String, port: Int) async -> Int32 {
        LoadRun.raiseDescriptorLimit(to: 200_000, quiet: true)
        installInterruptHandlers()
        do {
            let loop = try EventLoop.start(name: "peer")
            var configuration = GatewayConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maxConnections = 200_000
            configuration.deflate = nil
            configuration.defaultBudget = 1 << 20
            let gateway = Gateway(loop: loop, configuration: configuration, application: GatewayPeer())
            try await gateway.start()
            print("{\"listening\":\(await gateway.port)}")
            fflush(stdout)
            while !interruptRequested.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(100)) }
            await gateway.stop()
            loop.shutdown()
            return 0
        } catch {
            LoadRun.printError("chat-load peer: \(error)")
            return 1
        }
    }
}
