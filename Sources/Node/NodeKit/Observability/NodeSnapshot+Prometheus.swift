// MARK: - /metrics (docs/operations.md lists every family)

extension NodeSnapshot {
    /// The snapshot in the Prometheus text format.
    public func prometheusText() -> String {
        var out = PrometheusText()
        out.family("chat_connections", .gauge, "Open connections (HTTP and WebSocket) as tier=\"all\"; chat sessions by tier.",
                   [([("tier", "all")], Double(connections))]
                       + tiers.keys.sorted().map { ([("tier", $0)], Double(tiers[$0] ?? 0)) })
        out.single("chat_sessions", .gauge, "Open chat sessions (authenticated WebSockets).", sessions)
        out.single("chat_connections_accepted_total", .counter, "Connections accepted.", accepted)
        out.single("chat_connections_refused_total", .counter, "Connections refused over MAX_CONNECTIONS.", refused)
        out.single("chat_rooms_active", .gauge, "Rooms active on this node.", rooms)
        messageFamilies(&out)
        out.single("chat_frames_sent_total", .counter, "Frames queued for clients (messages, acks, replies, events).", framesOut)
        out.single("chat_slow_consumers_total", .counter, "Connections closed as slow consumers (4008).", slowConsumers)
        out.single("chat_protocol_errors_total", .counter, "Connections closed for WebSocket protocol errors.", protocolErrors)
        out.single("chat_received_bytes_total", .counter, "Bytes read from clients.", bytesIn)
        out.single("chat_sent_bytes_total", .counter, "Bytes written to clients.", bytesOut)
        out.single("chat_admin_broadcasts_total", .counter, "Admin broadcasts sent from the control socket.", adminBroadcasts)
        out.single("chat_messages_paced_total", .counter, "Room deliveries held for a paced batch (load high or critical).", paced)
        out.single("chat_admission_waiting", .gauge, "WebSocket upgrades waiting in the admission queue.", admissionWaiting)
        out.single("chat_admission_admitted_total", .counter, "WebSocket upgrades opened after waiting for admission.", admissionAdmitted)
        out.single("chat_admission_refused_total", .counter, "WebSocket upgrades refused with 503 by the admission queue.", admissionRefused)
        shardFamilies(&out)
        out.family("chat_supervisor_restarts_total", .counter, "Child restarts performed, by supervisor.",
                   restartsBySupervisor.map { ([("supervisor", $0.path)], Double($0.restarts)) })
        out.family("chat_actor_mailbox_depth", .gauge, "Mailbox depth of the busiest actors (at most ten).",
                   busiest.map { ([("path", $0.path.description)], Double($0.mailbox)) })
        out.single("chat_degradation_level", .gauge, "Degradation level in force: 0 normal, 1 elevated, 2 high, 3 critical.",
                   Self.levelValue(levels.effective))
        out.single("chat_degradation_pinned", .gauge, "1 when an operator pinned the level.", levels.pinned == nil ? 0 : 1)
        out.single("chat_degradation_changes_total", .counter, "Changes of the degradation level in force.", levelChanges)
        out.single("chat_draining", .gauge, "1 while the node drains.", draining ? 1 : 0)
        if let residentBytes {
            out.single("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.", residentBytes)
        }
        if let cpuSeconds {
            out.single("process_cpu_seconds_total", .counter, "Total user and system CPU time spent in seconds.", cpuSeconds)
        }
        if !loopCPUSeconds.isEmpty {
            out.family("chat_loop_cpu_seconds_total", .counter,
                       "CPU time of each event-loop thread (loop 0 runs the chat service; GATEWAY_LOOPS adds I/O loops), in seconds.",
                       loopCPUSeconds.map { ([("loop", String($0.loop))], $0.seconds) })
        }
        if let openDescriptors {
            out.single("process_open_fds", .gauge, "Number of open file descriptors.", openDescriptors)
        }
        out.single("process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds.",
                   startTimeSeconds.rounded(.down))
        return out.text
    }

    private func messageFamilies(_ out: inout PrometheusText) {
        let valid = receivedByPriority.reduce(0) { $0 + $1.count }
        out.family("chat_messages_received_total", .counter,
                   "WebSocket messages received from clients, by the priority class of the command (none: not a valid command).",
                   receivedByPriority.reversed().map { ([("priority", $0.priority.description)], Double($0.count)) }
                       + [([("priority", "none")], Double(max(0, received - valid)))])
        out.family("chat_messages_delivered_total", .counter,
                   "Room, DM, presence and admin messages handed to recipients (one per recipient), by priority.",
                   deliveredByPriority.reversed().map { ([("priority", $0.priority.description)], Double($0.count)) })
        out.family("chat_messages_dropped_total", .counter,
                   "Messages dropped, by reason (budget, slow_consumer: per recipient frame; level: per event shed before fan-out; idle: per idle recipient skipped) and priority.",
                   dropped.map { ([("priority", $0.priority.description), ("reason", $0.reason)], Double($0.count)) })
        out.single("chat_messages_rate_limited_total", .counter, "Sends and DMs refused by the per-user rate limit (answered rate_limited).",
                   rateLimited)
        out.single("chat_cross_node_late_messages_total", .counter,
                   "Room messages delivered after a message with a larger id (a room's first messages while another node joins it, or an overdue echo).",
                   crossNodeLate)
        out.single("chat_cross_node_overdue_echoes_total", .counter,
                   "Sequenced room messages of this node delivered here without their publication coming back within 1 s.",
                   crossNodeOverdueEchoes)
        if let latencies {
            out.histogram("chat_store_ack_seconds",
                          "From a send or dm being handled to its ack being queued for the sender, through the store (Valkey round trip).",
                          [([], latencies.storeToAck)])
            out.histogram("chat_fanout_seconds",
                          "From a room message being handled (origin=local) or arriving from another node (origin=remote) to its frames being queued for every local recipient.",
                          [([("origin", "local")], latencies.fanOutLocal), ([("origin", "remote")], latencies.fanOutRemote)])
        }
    }

    private func shardFamilies(_ out: inout PrometheusText) {
        func per(_ value: (ShardStatus) -> Int) -> [([(String, String)], Double)] {
            shards.map { ([("shard", $0.name)], Double(value($0))) }
        }
        out.family("chat_valkey_up", .gauge, "1 when the shard link is connected.", per { $0.connected ? 1 : 0 })
        out.family("chat_valkey_commands_total", .counter, "Valkey commands accepted by the shard link.", per(\.commands))
        out.family("chat_valkey_errors_total", .counter, "Valkey error replies.", per(\.errors))
        out.family("chat_valkey_refused_total", .counter, "Command batches refused because the outbox was full.", per(\.refused))
        out.family("chat_valkey_disconnects_total", .counter, "Shard connections lost.", per(\.disconnects))
        out.family("chat_valkey_outbox_depth", .gauge, "Commands waiting in the shard's outbox (unsent or in flight).", per(\.outbox))
        out.histogram("chat_valkey_pipeline_batch_commands", "Commands written to the shard per flush (pipeline batch size).",
                      shards.map { ([("shard", $0.name)], $0.batchSizes) })
    }
}
