import Actors
import Gateway

// MARK: - Messages, deduplication, typing

extension Room {
    /// What a `cid` from `user` means now.
    public enum DedupeState: Sendable, Equatable {
        /// Seen and stored within the window: answer with this ack again.
        case acked(id: UInt64, ts: Int64)
        /// Seen and still being stored: the first copy's ack is on its way.
        case pending
        /// New: it is now marked pending.
        case new
    }

    /// Checks `cid` against the dedupe window and marks a new one pending.
    public func dedupe(user: UInt32, cid: String, nowMs: Int64) -> DedupeState {
        guard !cid.isEmpty else { return .new }
        let key = DedupeKey(user: user, cid: cid)
        if let ack = acks.ack(for: key, nowMs: nowMs) { return .acked(id: ack.id, ts: ack.ts) }
        if pendingAcks.contains(key) { return .pending }
        pendingAcks.insert(key)
        return .new
    }

    /// Forgets a pending cid whose message was refused or not stored.
    public func clearPending(user: UInt32, cid: String) {
        pendingAcks.remove(DedupeKey(user: user, cid: cid))
    }

    /// Remembers the ack of `cid` (called once the message is stored).
    public func rememberAck(user: UInt32, cid: String, id: UInt64, ts: Int64, nowMs: Int64) {
        guard !cid.isEmpty else { return }
        pendingAcks.remove(DedupeKey(user: user, cid: cid))
        acks.remember(DedupeKey(user: user, cid: cid), .init(id: id, ts: ts, atMs: nowMs))
    }

    /// Frames of a new message for every subscriber but `sender` (buffered for joining
    /// connections). The message is encoded once for JSON and once for binary subscribers.
    public func post(_ message: ChatMessage, except sender: ConnectionID?, nowMs: Int64,
                     priority: MessagePriority = .high) -> Delivery {
        lastActivityMs = nowMs
        processedCounter.add(1, ordering: .relaxed)
        recentMessages.append(nowMs)
        if recentMessages.count > 256 { recentMessages.removeFirst(recentMessages.count - 256) }
        let json = OutboundMessage(payload: ServerEventEncoder.msg(message), priority: priority)
        let binary = binarySubscribers.isEmpty && joining.isEmpty
            ? nil : BinaryFrame.message(message).map { OutboundMessage(opcode: .binary, payload: $0, priority: priority) }
        for key in joining.keys where key != sender {
            joining[key]?.append((message.id, json, binary))
        }
        return Delivery(
            json: json, jsonRecipients: jsonSubscribers.filter { $0 != sender },
            binary: binary, binaryRecipients: binarySubscribers.filter { $0 != sender })
    }

    /// Frames of an event (read, edited) for every live subscriber but `except`.
    public func event(json: [UInt8], binary: [UInt8]?, except: ConnectionID?, priority: MessagePriority) -> Delivery {
        processedCounter.add(1, ordering: .relaxed)
        return Delivery(
            json: OutboundMessage(payload: json, priority: priority),
            jsonRecipients: jsonSubscribers.filter { $0 != except },
            binary: binary.map { OutboundMessage(opcode: .binary, payload: $0, priority: priority) },
            binaryRecipients: binarySubscribers.filter { $0 != except })
    }

    /// A typing event, at most once a second per typing user.
    public func typing(user: UInt32, except: ConnectionID, nowMs: Int64) -> Delivery? {
        if let last = typingForwarded[user], nowMs - last < 1000 { return nil }
        typingForwarded[user] = nowMs
        if typingForwarded.count > 1024 { typingForwarded = typingForwarded.filter { nowMs - $0.value < 10_000 } }
        return event(
            json: ServerEventEncoder.typing(room: id, user: user),
            binary: BinaryFrame.typing(room: id, user: user, timestampMs: nowMs),
            except: except, priority: .low)
    }

    /// Messages in the last minute (for inspection and hot-room detection).
    public func messagesLastMinute(nowMs: Int64) -> Int {
        recentMessages.filter { nowMs - $0 < 60_000 }.count
    }

    // MARK: Supervised life

    /// The room's run loop as a supervised child: registers for inspection and waits until
    /// stopped (idle) or cancelled (killed, shut down).
    public func run(_ context: ChildContext?) async {
        context?.register(self)
        let loop = self.loop
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                stopContinuation = continuation
            }
        } onCancel: {
            loop.execute { [weak self] in self?.assumeIsolated { $0.stop() } }
        }
    }

    /// Ends the run loop (the room is idle or being replaced).
    public func stop() {
        stopContinuation?.resume()
        stopContinuation = nil
    }

    // MARK: Inspectable

    public nonisolated var mailboxDepth: Int { 0 }
    public nonisolated var processed: Int { processedCounter.load(ordering: .relaxed) }

    public func inspectionSummary() async -> String {
        let nowMs = WallClock.nowMs()
        return "subscribers=\(liveSubscribers) joining=\(joining.count) rate=\(messagesLastMinute(nowMs: nowMs))/min hot=\(isHot(nowMs: nowMs))"
    }
}
