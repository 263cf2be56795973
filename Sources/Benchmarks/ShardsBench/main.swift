// shards-bench: commands per second on one shard link, one at a time against pipelined,
// against a valkey-server it starts (CHAT_VALKEY_SERVER, .venv/bin/valkey-server or PATH).
// Build and run: swift build -c release --product shards-bench && .build/release/shards-bench
let rows = try await LinkThroughputBench.run()
LinkThroughputBench.print(rows)
