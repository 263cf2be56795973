import Gateway
import Testing
import TestSupport


/// Builds a raw frame byte by byte, so malformed frames can be written on purpose.
///
/// `first` is the whole first byte (FIN, RSV, opcode). `lengthBytes` forces the length
/// encoding: 0 for the 7-bit form, 2 or 8 for the extended forms.
func rawFrame(
    first: UInt8, payload: [UInt8] = [], maskKey: [UInt8]? = [0x37, 0xFA, 0x21, 0x3D], lengthBytes: Int? = nil,
    declaredLength: UInt64? = nil
) -> [UInt8] {
    let length = declaredLength ?? UInt64(payload.count)
    let form = lengthBytes ?? (length < 126 ? 0 : (length <= 0xFFFF ? 2 : 8))
    let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
    var bytes = [first]
    switch form {
    case 0: bytes.append(maskBit | UInt8(length))
    case 2: bytes.append(maskBit | 126); bytes += [UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    default: bytes.append(maskBit | 127); bytes += (0..<8).map { UInt8(length >> (56 - 8 * UInt64($0)) & 0xFF) }
    }
    if let maskKey {
        bytes += maskKey
        bytes += payload.enumerated().map { $0.element ^ maskKey[$0.offset % 4] }
    } else {
        bytes += payload
    }
    return bytes
}

/// What feeding a stream produced: the messages before any error, and the error.
struct FeedOutcome: Equatable {
    var messages: [WebSocketMessage] = []
    var error: WebSocketError?
}

/// Feeds `stream` to a fresh assembler in pieces cut at `cuts` (sorted offsets).
func feed(
    _ stream: [UInt8], cuts: [Int] = [], configuration: WebSocketParserConfiguration,
    decompressor: PerMessageDeflateDecompressor? = nil
) -> FeedOutcome {
    let inflater = decompressor ?? (configuration.permessageDeflate ? PerMessageDeflateDecompressor(noContextTakeover: false) : nil)
    var assembler = WebSocketMessageAssembler(configuration: configuration, decompressor: inflater)
    var outcome = FeedOutcome()
    var start = 0
    for end in cuts + [stream.count] where end >= start {
        let piece = Array(stream[start..<end])
        start = end
        let failure = piece.withUnsafeBytes { raw -> WebSocketError? in
            var input = raw
            do throws(WebSocketError) {
                while let message = try assembler.nextMessage(&input) { outcome.messages.append(message) }
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            outcome.error = failure
            return outcome
        }
    }
    return outcome
}

extension FeedOutcome: CustomStringConvertible, CustomTestStringConvertible {
    var testDescription: String { description }

    /// A short summary: message kinds and sizes, and the error (test failures stay readable).
    var description: String {
        let kinds = messages.map { message -> String in
            switch message {
            case .text(let bytes): "text(\(bytes.count))"
            case .binary(let bytes): "binary(\(bytes.count))"
            case .ping(let bytes): "ping(\(bytes.count))"
            case .pong(let bytes): "pong(\(bytes.count))"
            case .close(let code, let reason): "close(\(code.map(String.init(describing:)) ?? "-"), \(reason.utf8.count))"
            }
        }
        return "[\(kinds.joined(separator: ", "))] error: \(error.map(String.init(describing:)) ?? "none")"
    }
}

/// Random sorted cut points inside a stream of `count` bytes.
func randomCuts(_ count: Int, pieces: Int, using rng: inout SplitMix64) -> [Int] {
    guard count > 1 else { return [] }
    return (0..<pieces).map { _ in Int.random(in: 1..<count, using: &rng) }.sorted()
}

/// Server-side settings, as the node uses them.
let serverConfiguration = WebSocketParserConfiguration(role: .server)
/// A client encoder with a fixed key, to build what a browser would send.
let clientEncoder = WebSocketFrameEncoder(role: .client)
/// The RFC 6455 §5.7 masking key.
let rfcKey = WebSocketMask.key(0x37, 0xFA, 0x21, 0x3D)
