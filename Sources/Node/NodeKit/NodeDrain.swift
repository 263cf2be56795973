import Actors
import Gateway
import Rooms
import Synchronization

/// Valkey batches the chat store has submitted and Valkey has not answered yet: what a
/// drain waits for, so that every message stored is acknowledged before its sender is
/// told to go away. Counted on the loop, read from anywhere.
public final class StoreWritesInFlight: Sendable {
    private let count = Atomic<Int>(0)

    /// A counter at zero.
    public init() {}

    /// Batches submitted and not yet answered.
    public var current: Int { count.load(ordering: .relaxed) }

    func started() { count.add(1, ordering: .relaxed) }
    func finished() { count.subtract(1, ordering: .relaxed) }
}

/// What a drain did.
public struct DrainOutcome: Sendable, Equatable {
    /// WebSockets told 1001 (going away).
    public var closed: Int
    /// Store batches still unanswered when the wait for them ended (0 after a clean drain).
    public var writesLeft: Int
    /// Connections still closing when the wait for them ended.
    public var lingering: Int
}

/// The drain sequence, shared by SIGTERM (followed by the stop of the tree) and the control
/// socket's `drain` (the node keeps running):
///
/// ```
/// 1. draining flag   /health answers 503 (the load balancer takes the node out),
///                    /ws upgrades 503, chat frames from open clients are no longer taken
/// 2. store writes    wait until every batch already sent to Valkey is answered: those
///                    messages are stored and their acks are queued (a sequenced room
///                    message's ack waits for its publication to come back: bounded)
/// 3. 1001            every WebSocket gets its pending output (acks, messages), then a
///                    close frame "going away"
/// 4. closes          wait until the clients answer and the sockets are gone
/// ```
///
/// A frame that arrives after step 1 is dropped without an answer: the client gets no
/// `ack`, so it sends the message again (same `cid`) on the node it reconnects to, where it is
/// stored once. Every wait is bounded (`writesTimeout`, `closeTimeout`): a Valkey shard
/// that does not answer cannot hold the drain past them.
struct NodeDrain: Sendable {
    let gateway: Gateway
    let operations: NodeOperations
    let writes: StoreWritesInFlight
    var writesTimeout: Duration = .seconds(5)
    var closeTimeout: Duration = .seconds(2)
    /// The chat service: its sequenced room messages waiting for their echo (their acks go
    /// out with it, or `CrossNodeTiming.ownEchoWaitMs` after the store answered).
    let chat: ChatService

    /// Runs the sequence; a second call finds nothing left to close and returns at once.
    @discardableResult
    func run() async -> DrainOutcome {
        let wasDraining = operations.startDraining()
        // A hop through the loop: a frame being handled when the flag flipped has submitted
        // its batch by the time this returns.
        _ = await gateway.webSocketCount
        let writes = self.writes
        let chat = self.chat
        await Self.wait(upTo: writesTimeout) { writes.current == 0 && chat.pendingEchoCount == 0 }
        let writesLeft = writes.current
        let closed = await gateway.closeWebSockets(code: .goingAway, reason: "draining")
        let gateway = self.gateway
        await Self.wait(upTo: closeTimeout) { await gateway.lingeringWebSocketCountOnEveryLoop() == 0 }
        let lingering = await gateway.lingeringWebSocketCountOnEveryLoop()
        if !wasDraining {
            Log.warn("node.draining", ["closed": String(closed), "writes_left": String(writesLeft), "lingering": String(lingering)])
        }
        return DrainOutcome(closed: closed, writesLeft: writesLeft, lingering: lingering)
    }

    /// Polls `done` every 10 ms until it holds or `limit` has passed.
    private static func wait(upTo limit: Duration, _ done: () async -> Bool) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while clock.now < deadline {
            if await done() { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
