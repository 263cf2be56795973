import Actors
import Gateway
import Rooms
import Shards

/// Carries out control commands against the running node and returns the reply lines.
///
/// Runs on the global pool, off every loop: registry look-ups take its lock, and what lives
/// on the node's loop (gateway, chat service, rooms, shard links) is reached with one hop
/// per command, never one per item.
final class ControlCommands: Sendable {
    let registry: ActorRegistry
    let gateway: Gateway
    let chat: ChatService
    let operations: NodeOperations
    let drain: NodeDrain
    let loop: EventLoop

    init(registry: ActorRegistry, gateway: Gateway, chat: ChatService, operations: NodeOperations, drain: NodeDrain) {
        self.registry = registry
        self.gateway = gateway
        self.chat = chat
        self.operations = operations
        self.drain = drain
        self.loop = gateway.loop
    }

    /// The reply line to `request`.
    func execute(_ request: ControlRequest) async -> [UInt8] {
        let id = request.id
        switch request.command {
        case .tree:
            guard let tree = await registry.tree(.node) else { return ControlReply.failure("the tree is not running", id: id) }
            return ControlReply.success(TreeResult(tree: tree), id: id)
        case .inspect(let path):
            return await inspect(path, id: id)
        case .kill(let path) where path == .node, .restart(let path) where path == .node:
            return ControlReply.failure("/node is the root supervisor: stop the process (SIGTERM) instead", id: id)
        case .kill(let path):
            do {
                try await registry.kill(path)
                Log.warn("control.kill", ["path": path.description])
                return ControlReply.success(ActionResult(path: path.description, action: "kill", restarts: registry.restarts(of: path)), id: id)
            } catch {
                return ControlReply.failure(Self.describe(error, path), id: id)
            }
        case .restart(let path):
            do {
                try await registry.restart(path)
                Log.warn("control.restart", ["path": path.description])
                return ControlReply.success(ActionResult(path: path.description, action: "restart", restarts: registry.restarts(of: path)), id: id)
            } catch {
                return ControlReply.failure(Self.describe(error, path), id: id)
            }
        case .level(let change):
            switch change {
            case .get: break
            case .pin(let level):
                operations.degradation.pin(level)
                Log.warn("control.level_pinned", ["level": level.rawValue])
            case .unpin:
                operations.degradation.unpin()
                Log.warn("control.level_unpinned", [:])
            }
            let levels = operations.degradation.levels
            return ControlReply.success(
                LevelResult(level: levels.effective.rawValue, measured: levels.measured.rawValue, pinned: levels.pinned?.rawValue),
                id: id)
        case .stats:
            let snapshot = await operations.snapshot(on: gateway)
            return ControlReply.success(snapshot.statsResult(), id: id)
        case .conns(let limit):
            let chat = self.chat
            // Every loop's connections (GATEWAY_LOOPS), then the users on the node's loop.
            let top = await gateway.topConnectionsOnEveryLoop(limit: limit)
            let result = await onLoop { [gateway] in
                ConnsResult(
                    total: gateway.counters.open.load(ordering: .relaxed),
                    connections: top.map { info in
                        ConnectionResult(
                            id: info.id.description, user: chat.user(of: info.id), state: info.state,
                            pendingBytes: info.pendingBytes, pendingFrames: info.pendingFrames, budget: info.budget,
                            bytesIn: info.bytesIn, framesOut: info.framesOut, idleS: info.idleSeconds, deflate: info.deflate)
                    })
            }
            return ControlReply.success(result, id: id)
        case .rooms(let limit, let order):
            let chat = self.chat
            let (total, rooms) = await onLoop { (chat.roomCount, chat.topRooms(limit: limit, by: order)) }
            return ControlReply.success(RoomsResult(total: total, by: order.rawValue, rooms: rooms.map(Self.result)), id: id)
        case .broadcast(let text, let room):
            let chat = self.chat
            let sent = await onLoop { () -> Int? in
                if let room, chat.roomInfo(room) == nil { return nil }
                return chat.adminBroadcast(text: text, room: room)
            }
            guard let sent else {
                return ControlReply.failure("room \(room.map(String.init) ?? "") is not active on this node", id: id)
            }
            Log.warn("control.broadcast", ["room": room.map(String.init) ?? "all", "recipients": String(sent)])
            return ControlReply.success(BroadcastResult(recipients: sent, room: room), id: id)
        case .drain:
            let outcome = await drain.run()
            return ControlReply.success(DrainResult(draining: true, closed: outcome.closed), id: id)
        }
    }

    private func inspect(_ path: ActorPath, id: String?) async -> [UInt8] {
        guard var actor = await registry.tree(path) else {
            return ControlReply.failure("no actor at \(path)", id: id)
        }
        // Direct children only: `tree` is there for the whole subtree.
        actor.children = actor.children.map { child in
            var child = child
            child.children = []
            return child
        }
        var room: RoomResult?
        if path.parent == ActorPath.node.appending("rooms"), let roomID = UInt32(path.name) {
            let chat = self.chat
            room = await onLoop { chat.roomInfo(roomID) }.map(Self.result)
        }
        return ControlReply.success(InspectResult(actor: actor, room: room), id: id)
    }

    private static func result(_ info: RoomInfo) -> RoomResult {
        RoomResult(id: info.id, subscribers: info.subscribers, joining: info.joining, users: info.users,
                   messagesPerMin: info.messagesLastMinute, hot: info.hot)
    }

    private static func describe(_ error: any Error, _ path: ActorPath) -> String {
        switch error {
        case SupervisorError.noSuchChild: return "no actor at \(path)"
        default: return "\(path): \(error)"
        }
    }

    /// Runs `body` on the node's loop thread and returns its result.
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: body()) }
        }
    }
}
