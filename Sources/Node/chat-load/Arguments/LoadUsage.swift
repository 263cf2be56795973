import Foundation
/// The usage text of `chat-load help`.
enum LoadUsage {
    static var text: String {
        let scenarios = Scenario.allCases.map { "  \($0.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \($0.summary)" }
        return """
        chat-load: load generator for the chat protocol (PROTOCOL.md v1)

        usage: chat-load <scenario> [flags]

        scenarios:
        \(scenarios.joined(separator: "\n"))

        target and tokens:
          --url ws://127.0.0.1:8080/ws   the node's WebSocket endpoint (loopback only unless --allow-remote)
          --secret S                     mint HS256 tokens with the node's JWT_SECRET (sub = --user-base + index)
          --token-url URL                fetch tokens from a dev node instead (URL?user=load-<index>)
                                         (neither: the token "load" is sent, for peers that accept any token)
          --allow-remote                 allow a target outside 127.0.0.0/8
          --user-base N                  user id of connection 0 when minting (1000000)

        shape (defaults from the scenario):
          --connections N   --rooms R   --room-base ID (1)   --senders S (fanout: 1; else all)
          --rate MSG/S (total)   --interval MIN-MAX (per connection, e.g. 5s-10s)
          --bursts N --gap DUR (burst)   --start N --ramp DUR (ramp)   --duration DUR (ramp: hold)
          --size BYTES (64)   --binary (compact binary frames)   --threads N (event loops, 1)
          --connect-rate N/S (2000)   --connect-timeout DUR (10s)   --drain DUR (5s)   --deadline DUR

        measuring:
          --pid PID          the node's CPU and RSS from /proc (else from --metrics-url, default
                             http://<url host:port>/metrics: process_cpu_seconds_total,
                             process_resident_memory_bytes)
          --sample DUR       node sampling period (10s; sustained 60s)
          --json             summary as one JSON object on stdout
          --quiet            no progress line on stderr

        chat-load peer [--host 127.0.0.1] [--port 8090]
                             a trivial chat server on the node's Gateway (join, send, ack, msg),
                             to measure chat-load itself (docs/benchmarks.md, "chat-load")

        durations: 90, 90s, 250ms, 5m, 1h. The run always stops by itself: at the latest
        after connecting, sending, draining and a margin (--deadline to set it).
        """
    }
}
