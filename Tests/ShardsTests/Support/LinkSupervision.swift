import Actors
import Synchronization
@testable import Shards

/// Runs `children` under a supervisor as the node does (`/node/shards`, restarts with a
/// short backoff, intensity out of reach); returns it and the task running it.
func superviseLinks(
    _ children: [ChildSpec],
    backoff: Backoff = .exponential(initial: .milliseconds(20), max: .milliseconds(200))
) -> (Supervisor, Task<Void, any Error>) {
    let supervisor = Supervisor(
        path: ActorPath(components: ["node", "shards"]),
        intensity: RestartIntensity(maxRestarts: 1000, within: .seconds(1)),
        backoff: backoff,
        registry: ActorRegistry(),
        children: children)
    return (supervisor, Task { try await supervisor.run() })
}

extension ShardLink {
    /// This link as a supervised child named after it.
    nonisolated var childSpec: ChildSpec {
        ChildSpec(id: name, shutdown: .timeout(.seconds(2))) { _ in try await self.run() }
    }
}

extension ShardSubscriber {
    /// This subscriber as a supervised child named `<name>-subscriber`.
    nonisolated var childSpec: ChildSpec {
        ChildSpec(id: "\(name)-subscriber", shutdown: .timeout(.seconds(2))) { _ in try await self.run() }
    }
}

/// Messages a handler received on the loop thread, readable from the test.
final class Inbox: Sendable {
    private let messages = Mutex<[(channel: String, payload: String)]>([])

    /// A handler that records into this inbox.
    var handler: ValkeyMessageHandler {
        { [self] channel, payload in
            messages.withLock { $0.append((Keyspace.text(channel), String(decoding: payload, as: UTF8.self))) }
        }
    }

    /// Payloads received on `channel`, in order.
    func payloads(on channel: String) -> [String] {
        messages.withLock { $0.filter { $0.channel == channel }.map(\.payload) }
    }

    /// Everything received.
    var count: Int { messages.withLock { $0.count } }
}

/// The UTF-8 bytes of a key or channel (shorthand).
func key(_ text: String) -> [UInt8] { Array(text.utf8) }
