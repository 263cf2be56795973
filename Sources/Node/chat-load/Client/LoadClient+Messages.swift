import Gateway
import Rooms

extension LoadClient {
    /// One whole message from the server; `now` is when its bytes were read.
    func handle(_ message: WebSocketMessage, now: UInt64) {
        switch message {
        case .text(let bytes):
            bytes.withUnsafeBytes { handle(text: $0, now: now) }
        case .binary(let bytes):
            bytes.withUnsafeBytes { handle(binary: $0, now: now) }
        case .ping(let payload):
            if state == .open || state == .joining { sendRaw(worker.writer.pong(payload)) }
        case .pong:
            break
        case .close(let code, _):
            if state == .closing {
                finish(failure: nil)
            } else {
                sendRaw(worker.writer.close(code: code ?? .normalClosure))
                worker.stats.note("server_close_\(code?.rawValue ?? 1005)")
                serverClosed()
            }
        }
    }

    /// A text message (JSON event).
    func handle(text: UnsafeRawBufferPointer, now: UInt64) {
        handle(EventScanner.scan(text, tag: worker.writer.tag), now: now)
    }

    /// A binary message (compact layout).
    func handle(binary: UnsafeRawBufferPointer, now: UInt64) {
        handle(binaryEvent(binary), now: now)
    }

    private func handle(_ event: IncomingEvent, now: UInt64) {
        switch event {
        case .message(let stamp, let sender):
            if sender == index {
                worker.stats.counters.echoes += 1
            } else if joinStamp != 0 && joinStamp < stamp && (state == .open || state == .closing) {
                worker.stats.counters.delivered += 1
                let latency = now > stamp ? now - stamp : 0
                worker.stats.endToEnd.record(latency)
                worker.stats.window.record(latency)
            } else {
                worker.stats.counters.extra += 1
            }
        case .foreignMessage:
            worker.stats.counters.foreign += 1
        case .ack(let cid):
            guard let sent = removePending(cid) else { return }
            worker.stats.counters.acked += 1
            worker.stats.ack.record(now > sent.stamp ? now - sent.stamp : 0)
        case .joined:
            guard state == .joining else { return }
            joined()
        case .error(let code, let cid):
            worker.stats.counters.errors += 1
            worker.stats.note("error:" + code)
            if state == .joining {
                worker.stats.counters.joinFailed += 1
                joinRefused()
            } else if let cid, let sent = removePending(cid) {
                worker.stats.counters.rejected += 1
                worker.stats.counters.expected -= Int64(sent.recipients)
            }
        case .other:
            break
        }
    }

    /// Binary frames of the compact layout (`BinaryFrame`): type 1 `msg` (`[id:8][text]`)
    /// and type 4 `ack` (`[id:8][cid]`); anything else, or a length that does not match the
    /// frame, is `other`.
    private func binaryEvent(_ bytes: UnsafeRawBufferPointer) -> IncomingEvent {
        // [type:1][user:4][room:2][ts:4][length:2] then [id:8][text or cid], read in place.
        guard bytes.count >= BinaryFrame.headerSize + 8 else { return .other }
        let length = Int(bytes[11]) << 8 | Int(bytes[12])
        guard bytes.count == BinaryFrame.headerSize + length else { return .other }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(BinaryFrame.headerSize + 8)...])
        switch bytes[0] {
        case BinaryFrame.Kind.message.rawValue:
            return EventScanner.parseText(rest, tag: worker.writer.tag)
        case BinaryFrame.Kind.ack.rawValue:
            var index = 0
            guard let cid = EventScanner.decimal(rest, &index), index == rest.count else { return .other }
            return .ack(cid: cid)
        default:
            return .other
        }
    }
}
