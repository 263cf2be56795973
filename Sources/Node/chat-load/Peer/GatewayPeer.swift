@preconcurrency import Glibc
import Foundation
import Gateway
import Rooms

/// `chat-load peer`: a trivial chat server on the node's `Gateway` (epoll loop, one frame
/// built per message and shared by every recipient, one `writev` per connection per round),
/// speaking the subset chat-load uses: `join` → `joined`, `send` → `ack` + `msg` to the
/// other members, in JSON or (once a connection sent a binary frame) compact binary, with
/// the node's own codecs (`ClientCommandDecoder`, `BinaryFrame`). No auth, storage,
/// history or limits.
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
    /// Connections that sent a binary frame: they get their room traffic in binary.
    private var binary: Set<ConnectionID> = []
    private var lastID: UInt64 = 0
    private let decoder = ClientCommandDecoder(maxTextBytes: 65_000)

    func route(_ request: HTTPRequest, on gateway: isolated Gateway) -> GatewayRoute {
        request.path == "/ws" ? .upgrade(session: nil) : .respond(.error(.notFound))
    }

    func opened(_ connection: ConnectionID, session: AnyObject?, on gateway: isolated Gateway) {
        gateway.setBudget(connection, bytes: 1 << 20)
    }

    func received(_ message: WebSocketMessage, from connection: ConnectionID, on gateway: isolated Gateway) {
        let command: ClientCommand
        switch message {
        case .text(let bytes):
            guard let decoded = try? decoder.decode(bytes) else { return }
            command = decoded
        case .binary(let bytes):
            guard let decoded = try? decoder.decodeBinary(bytes) else { return }
            binary.insert(connection)
            command = decoded
        default:
            return
        }
        switch command {
        case .join(let room, _, _):
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
        case .send(let room, let text, let cid):
            guard let members = rooms[room] else { return }
            lastID += 1
            let message = ChatMessage(
                chat: .room(room), id: lastID, from: UInt32(truncatingIfNeeded: connection.slot),
                ts: Int64(Date().timeIntervalSince1970 * 1_000), text: text)
            deliver(message, to: members.lazy.filter { $0 != connection }, on: gateway)
            acknowledge(message, cid: cid, to: connection, on: gateway)
        default:
            break
        }
    }

    /// One JSON frame for every JSON member, one binary frame for every binary member.
    private func deliver(_ message: ChatMessage, to members: some Sequence<ConnectionID>, on gateway: isolated Gateway) {
        var json = JSONWriter(capacity: message.text.utf8.count + 96)
        json.beginObject()
        json.field("t", "msg")
        if case .room(let room) = message.chat { json.field("room", room) }
        json.idField("id", message.id)
        json.field("from", message.from)
        json.field("ts", message.ts)
        json.field("text", message.text)
        json.endObject()
        let text = OutboundMessage(payload: json.bytes)
        let compact = binary.isEmpty ? nil : BinaryFrame.message(message).map { OutboundMessage(opcode: .binary, payload: $0) }
        for member in members {
            if let compact, binary.contains(member) {
                _ = gateway.send(compact, to: member)
            } else {
                _ = gateway.send(text, to: member)
            }
        }
    }

    private func acknowledge(_ message: ChatMessage, cid: String, to connection: ConnectionID, on gateway: isolated Gateway) {
        if binary.contains(connection), case .room(let room) = message.chat,
           let frame = BinaryFrame.ack(room: room, user: message.from, id: message.id, cid: cid, timestampMs: message.ts) {
            _ = gateway.send(OutboundMessage(opcode: .binary, payload: frame), to: connection)
            return
        }
        var ack = JSONWriter(capacity: 96)
        ack.beginObject()
        ack.field("t", "ack")
        ack.field("cid", cid)
        ack.idField("id", message.id)
        ack.field("ts", message.ts)
        ack.endObject()
        _ = gateway.send(OutboundMessage(payload: ack.bytes), to: connection)
    }

    func closed(_ connection: ConnectionID, on gateway: isolated Gateway) {
        binary.remove(connection)
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
