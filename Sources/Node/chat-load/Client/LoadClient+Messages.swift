import Gateway
import Rooms

extension LoadClient {
    /// One whole message from the server; `now` is when its bytes were read.
    func handle(_ message: WebSocketMessage, now: UInt64) {
        switch message {
        case .text(let bytes):
            let event = bytes.withUnsafeBytes { EventScanner.scan($0, tag: worker.writer.tag) }
            handle(event, now: now)
        case .binary(let bytes):
            handle(binaryEvent(bytes), now: now)
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

    /// Binary frames of the compact layout: type 1 `msg` (`[id:8][text]`) and type 4 `ack`
    /// (`[id:8][cid]`).
    private func binaryEvent(_ bytes: [UInt8]) -> IncomingEvent {
        guard let frame = try? BinaryFrame(parsing: bytes), frame.payload.count >= 8 else { return .other }
        let rest = frame.payload.dropFirst(8)
        switch frame.kind {
        case .message:
            return rest.withUnsafeBytes { EventScanner.parseText($0, tag: worker.writer.tag) }
        case .ack:
            guard let cid = UInt64(String(decoding: rest, as: UTF8.self)) else { return .other }
            return .ack(cid: cid)
        case .typing, .read:
            return .other
        }
    }
}
