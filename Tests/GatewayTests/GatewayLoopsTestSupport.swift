@preconcurrency import Glibc
import Foundation
@testable import Gateway

/// A WebSocket client over `RawClient` that keeps what it read beyond one frame, for
/// tests that exchange several frames (server frames are unmasked). Used from one thread
/// at a time (hence `@unchecked Sendable`).
final class FrameClient: @unchecked Sendable {
    let raw: RawClient
    private var buffer: [UInt8]

    /// Connects and upgrades; nil when the upgrade was not answered 101.
    init?(port: Int, receiveBuffer: Int32? = nil) throws {
        raw = try RawClient(port: port, receiveBuffer: receiveBuffer)
        let (status, rest) = raw.upgrade()
        guard status == "HTTP/1.1 101 Switching Protocols" else { return nil }
        buffer = rest
    }

    /// Sends a masked text frame.
    func send(_ text: String) {
        raw.send(rawFrame(first: 0x81, payload: Array(text.utf8)))
    }

    /// The next frame (opcode, payload), nil at EOF or after the 5 s read timeout.
    func nextFrame() -> (opcode: UInt8, payload: [UInt8])? {
        while true {
            if let frame = Self.popFrame(&buffer) { return frame }
            let (bytes, eof) = raw.read { _ in true }
            if bytes.isEmpty || eof {
                buffer += bytes
                return Self.popFrame(&buffer)
            }
            buffer += bytes
        }
    }

    /// The next text frame's text, skipping pings; nil if another frame or nothing came.
    func nextText() -> String? {
        while let frame = nextFrame() {
            if frame.opcode == 0x9 { continue }
            return frame.opcode == 0x1 ? String(decoding: frame.payload, as: UTF8.self) : nil
        }
        return nil
    }

    /// The code of the close frame that comes next (other frames skipped), nil if none came.
    func closeCode() -> UInt16? {
        while let frame = nextFrame() {
            guard frame.opcode == 0x8 else { continue }
            return frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : nil
        }
        return nil
    }

    /// Asks the echo application for this connection's id (`slot.generation[@loop]`).
    func whoami() -> String? {
        send("whoami")
        return nextText()
    }

    private static func popFrame(_ bytes: inout [UInt8]) -> (opcode: UInt8, payload: [UInt8])? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var start = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            start = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
            start = 10
        }
        guard bytes.count >= start + length else { return nil }
        let frame = (opcode: bytes[0] & 0x0F, payload: Array(bytes[start..<(start + length)]))
        bytes.removeFirst(start + length)
        return frame
    }
}

/// Opens `count` WebSocket clients (on any thread: blocking) and learns each one's id.
func openClients(_ count: Int, port: Int, receiveBuffer: Int32? = nil) throws -> [(client: FrameClient, id: String)] {
    var clients: [(client: FrameClient, id: String)] = []
    for _ in 0..<count {
        guard let client = try FrameClient(port: port, receiveBuffer: receiveBuffer), let id = client.whoami() else {
            throw SystemError(call: "upgrade", code: EPROTO)
        }
        clients.append((client, id))
    }
    return clients
}

/// The loop index in an id's description (`slot.generation@loop`, no suffix on loop 0).
func loopOf(_ id: String) -> Int {
    guard let at = id.firstIndex(of: "@") else { return 0 }
    return Int(id[id.index(after: at)...]) ?? -1
}
