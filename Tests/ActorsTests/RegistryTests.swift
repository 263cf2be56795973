import Actors
import Foundation
import Synchronization
import Testing
import TestSupport

/// A child with live state to inspect, like a room.
final class InspectableRoom: Inspectable {
    let mailbox = Mailbox<String>(capacity: 16)
    private let handled = Atomic<Int>(0)

    var mailboxDepth: Int { mailbox.depth }
    var processed: Int { handled.load(ordering: .relaxed) }

    func handleOne() {
        if mailbox.tryNext() != nil { handled.add(1, ordering: .relaxed) }
    }

    func inspectionSummary() async -> String { "members=3 hot=false" }
    func inspectionDetails() async -> [String: String] { ["topic": "general"] }
}

/// Actor paths.
@Suite struct ActorPathTests {
    @Test func parsesAndPrintsPaths() {
        let p = ActorPath("/node/rooms/42")
        #expect(p?.components == ["node", "rooms", "42"])
        #expect(p?.description == "/node/rooms/42")
        #expect(p?.name == "42")
        #expect(p?.parent == ActorPath("/node/rooms"))
        #expect(ActorPath.node.parent == nil)
        #expect(ActorPath.node.appending("rooms") == ActorPath("/node/rooms"))
    }

    @Test(arguments: ["", "/", "node", "/node//x", "/node/", "/" + String(repeating: "x", count: 129)])
    func rejectsBadPaths(text: String) {
        #expect(ActorPath(text) == nil)
    }

    @Test func descendants() {
        #expect(path("/node/rooms/42").isDescendant(of: .node))
        #expect(path("/node").isDescendant(of: .node))
        #expect(!path("/nodes/x").isDescendant(of: .node))
        #expect(!path("/node").isDescendant(of: path("/node/rooms")))
    }

    @Test func codesAsText() throws {
        let data = try JSONEncoder().encode([path("/node/a")])
        #expect(String(decoding: data, as: UTF8.self) == #"["\/node\/a"]"#)
        #expect(try JSONDecoder().decode([ActorPath].self, from: data) == [path("/node/a")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ActorPath].self, from: Data(#"["x"]"#.utf8)) }
    }
}

/// The registry as supervisors maintain it.
@Suite(.supervisedChildren) struct RegistryTests {
    let puppets = Puppets()
    let registry = ActorRegistry()
    let clock = MockClock()

    /// /node: a, mid (b1, b2), c
    func startTree(midChildren: [ChildSpec]? = nil) async throws -> (RunningSupervisor, Supervisor) {
        let mid = Supervisor(
            path: path("/node/mid"), registry: registry, clock: clock,
            children: midChildren ?? ["b1", "b2"].map { puppets.spec($0) }
        )
        let root = Supervisor(
            path: .node, intensity: RestartIntensity(maxRestarts: 10, within: .seconds(60)),
            registry: registry, clock: clock,
            children: [puppets.spec("a"), .supervisor(mid), puppets.spec("c")]
        )
        let running = try await RunningSupervisor.start(root)
        for id in ["a", "c"] + (midChildren ?? ["b1", "b2"].map { puppets.spec($0) }).map(\.id) {
            try await eventually("\(id) up") { puppets.isWaiting(id) }
        }
        return (running, mid)
    }

    @Test func listsPathsAndTheTreeInStartOrder() async throws {
        let (running, _) = try await startTree()
        #expect(registry.paths().map(\.description) == ["/node", "/node/a", "/node/mid", "/node/c", "/node/mid/b1", "/node/mid/b2"])
        let tree = try #require(await registry.tree())
        #expect(tree.path == "/node")
        #expect(tree.kind == .supervisor)
        #expect(tree.children.map(\.path) == ["/node/a", "/node/mid", "/node/c"])
        #expect(tree.children.map(\.kind) == [.worker, .supervisor, .worker])
        #expect(tree.children[1].children.map(\.path) == ["/node/mid/b1", "/node/mid/b2"])
        #expect(tree.children[0].children.isEmpty)
        #expect(tree.children.allSatisfy { $0.status == .running })
        // A subtree.
        let sub = try #require(await registry.tree(path("/node/mid")))
        #expect(sub.children.map(\.path) == ["/node/mid/b1", "/node/mid/b2"])
        #expect(await registry.tree(path("/node/nowhere")) == nil)
        try await running.stop()
    }

    @Test func supervisorsDescribeThemselves() async throws {
        let (running, _) = try await startTree()
        let root = try #require(await registry.snapshot(.node))
        #expect(root.summary == "strategy=oneForOne children=3 running=3 intensity=10/60.0 seconds")
        let mid = try #require(await registry.snapshot(path("/node/mid")))
        #expect(mid.summary.hasPrefix("strategy=oneForOne children=2 running=2"))
        try await running.stop()
    }

    @Test func snapshotsFollowRestarts() async throws {
        let (running, mid) = try await startTree()
        for _ in 1...2 { try await puppets.fail("a") }
        try await eventually { puppets.log.occurrences(of: "start a") == 3 && puppets.isWaiting("a") }
        try await registry.kill(path("/node/mid/b2"))
        try await eventually { await starts(of: "b2", in: mid) == 2 && puppets.isWaiting("b2") }

        let a = try #require(await registry.snapshot(path("/node/a")))
        #expect(a.restarts == 2)
        #expect(a.status == .running)
        #expect(a.lastFailure?.reason == "failure: injected failure of a")
        #expect((a.lastFailure?.atMs ?? 0) > 1_600_000_000_000)
        let tree = try #require(await registry.tree())
        let restarts = tree.children.map(\.restarts) + tree.children[1].children.map(\.restarts)
        #expect(restarts == [2, 0, 0, 0, 1])
        #expect(tree.children[1].children[1].lastFailure?.reason == "killed")
        #expect(tree.children[1].children[0].lastFailure == nil)
        try await running.stop()
        #expect(registry.status(of: path("/node/a")) == .terminated)
        // Counts survive the stop; the entry still says why it last failed.
        #expect(await registry.snapshot(path("/node/a"))?.restarts == 2)
        #expect(await registry.snapshot(path("/node/a"))?.lastFailure?.reason == "failure: injected failure of a")
    }

    @Test func aStoppedRootIsListedAsTerminated() async throws {
        let (running, _) = try await startTree()
        #expect(registry.status(of: .node) == .running)
        try await running.stop()
        #expect(registry.status(of: .node) == .terminated)
        #expect(registry.status(of: path("/node/mid")) == .terminated)
    }

    @Test func temporaryAndDeletedChildrenLeaveTheRegistry() async throws {
        let (running, mid) = try await startTree()
        try await mid.startChild(puppets.spec("room-1", restart: .temporary))
        try await mid.startChild(puppets.spec("room-2", restart: .temporary))
        try await eventually { puppets.isWaiting("room-1") && puppets.isWaiting("room-2") }
        #expect(registry.status(of: path("/node/mid/room-1")) == .running)
        try await puppets.exit("room-1")
        try await eventually { registry.status(of: path("/node/mid/room-1")) == nil }
        try await puppets.fail("room-2")
        try await eventually { registry.status(of: path("/node/mid/room-2")) == nil }

        try await mid.terminateChild("b1")
        try await mid.deleteChild("b1")
        #expect(registry.status(of: path("/node/mid/b1")) == nil)
        // Deleting a supervisor child removes its whole subtree.
        let root = running.supervisor
        try await root.terminateChild("mid")
        try await root.deleteChild("mid")
        #expect(registry.paths().map(\.description) == ["/node", "/node/a", "/node/c"])
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func aRestartedSupervisorForgetsItsDynamicChildren() async throws {
        let (running, mid) = try await startTree()
        try await mid.startChild(puppets.spec("room", restart: .temporary))
        try await mid.startChild(puppets.spec("lobby"))
        try await eventually { puppets.isWaiting("room") && puppets.isWaiting("lobby") }
        try await registry.kill(path("/node/mid"))
        try await eventually { puppets.log.occurrences(of: "start b1") == 2 && puppets.isWaiting("b1") && puppets.isWaiting("b2") }
        // mid starts again from its static children; the registry lists only those.
        #expect(await mid.whichChildren().map(\.id) == ["b1", "b2"])
        #expect(registry.paths().filter { $0.isDescendant(of: path("/node/mid")) }.map(\.description)
            == ["/node/mid", "/node/mid/b1", "/node/mid/b2"])
        try await running.stop()
        #expect(puppets.live == 0)
    }

    @Test func anInspectableChildShowsItsSummaryAndMailbox() async throws {
        let rooms = Mutex<[Int: InspectableRoom]>([:])
        let spec = puppets.spec("room") { context in
            let room = InspectableRoom()
            room.mailbox.send("hello")
            room.mailbox.send("world")
            room.mailbox.send("again")
            room.handleOne()
            context.register(room)
            rooms.withLock { $0[context.incarnation] = room }
        }
        let (running, mid) = try await startTree(midChildren: [spec])
        let snapshot = try #require(await registry.snapshot(path("/node/mid/room")))
        #expect(snapshot.summary == "members=3 hot=false")
        #expect(snapshot.details == ["topic": "general"])
        #expect(snapshot.mailbox == 2)
        #expect(snapshot.processed == 1)
        #expect(snapshot.uptimeMs >= 0)
        let tree = try #require(await registry.tree())
        #expect(tree.children[1].children.first?.summary == "members=3 hot=false")
        #expect(tree.children[1].children.first?.mailbox == 2)
        // A live change shows at once, without a hop onto the child.
        rooms.withLock { $0[1]?.handleOne() }
        #expect(await registry.snapshot(path("/node/mid/room"))?.mailbox == 1)

        // After a restart the new incarnation's state is shown.
        try await puppets.fail("room")
        try await eventually { await starts(of: "room", in: mid) == 2 && puppets.isWaiting("room") }
        let again = try #require(await registry.snapshot(path("/node/mid/room")))
        #expect(again.mailbox == 2)
        #expect(again.processed == 1)
        #expect(again.restarts == 1)

        // Once it stops, nothing live is shown any more.
        try await mid.terminateChild("room")
        let stopped = try #require(await registry.snapshot(path("/node/mid/room")))
        #expect(stopped.summary == "")
        #expect(stopped.mailbox == 0)
        #expect(stopped.status == .terminated)
        #expect(stopped.uptimeMs == 0)
        try await running.stop()
    }

    @Test func snapshotsEncodeAsJSON() async throws {
        let (running, _) = try await startTree()
        let tree = try #require(await registry.tree())
        let data = try JSONEncoder().encode(tree)
        let decoded = try JSONDecoder().decode(ActorSnapshot.self, from: data)
        #expect(decoded.path == tree.path)
        #expect(decoded.children.count == 3)
        try await running.stop()
    }
}
