@preconcurrency import Glibc
import Foundation
import Gateway
import NodeKit

/// Why chatctl could not talk to the node; each maps to a message and an exit code.
enum ControlConnectionError: Error {
    case connect(path: String, SystemError)
    case io(SystemError)
    case closed
    case badReply(String)

    /// What to tell the operator.
    var message: String {
        switch self {
        case .connect(let path, let error):
            switch error.code {
            case ENOENT:
                return "no control socket at \(path): is chat-node running? (--socket PATH or CONTROL_SOCKET chooses another)"
            case ECONNREFUSED:
                return "nothing listens on \(path): chat-node is not running (the file is left over from a stopped node)"
            case EACCES, EPERM:
                return "permission denied on \(path): run chatctl as the user that runs chat-node (the socket is mode 0600)"
            case ENOTDIR, ENAMETOOLONG:
                return "invalid control socket path \(path)"
            case EAGAIN:
                return "chat-node at \(path) does not accept connections (busy or hung)"
            default:
                return "cannot connect to \(path): \(error)"
            }
        case .io(let error): return "control socket error: \(error)"
        case .closed: return "the node closed the connection without replying"
        case .badReply(let text): return "unexpected reply from the node: \(text.prefix(200))"
        }
    }

    /// 3 when the node is not there, 4 when it answered wrongly.
    var exitCode: Int32 {
        switch self {
        case .connect: return 3
        case .io, .closed, .badReply: return 4
        }
    }
}

/// A blocking connection to the control socket: one request line out, one reply line in.
final class ControlConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String, timeoutSeconds: Int = 30) throws(ControlConnectionError) {
        do {
            fd = try UnixSocket.connect(path: path, timeoutSeconds: timeoutSeconds)
        } catch {
            throw .connect(path: path, error)
        }
    }

    deinit { Syscall.close(fd) }

    /// Sends `request` (a JSON object) and returns the reply's raw line and its object.
    func send(_ request: [String: Any]) throws(ControlConnectionError) -> (line: String, reply: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: request) else { throw .badReply("unencodable request") }
        do {
            try UnixSocket.writeAll(fd, Array(data) + [0x0A])
        } catch {
            throw .io(error)
        }
        let line = try readLine()
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let reply = object as? [String: Any] else {
            throw .badReply(line)
        }
        return (line, reply)
    }

    private func readLine() throws(ControlConnectionError) -> String {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let result: IOResult
            do {
                result = try chunk.withUnsafeMutableBytes { raw in try Socket.read(fd, into: raw) }
            } catch let error as SystemError {
                throw .io(error)
            } catch {
                throw .closed
            }
            switch result {
            case .done(0): throw .closed
            case .done(let count): buffer += chunk[0..<min(count, chunk.count)]
            case .wouldBlock: throw .io(SystemError(call: "recv (timed out)", code: EAGAIN))
            }
        }
    }
}
