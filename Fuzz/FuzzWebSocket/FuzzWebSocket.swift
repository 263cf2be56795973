import Gateway

/// libFuzzer entry point for the WebSocket layer.
///
/// The first byte chooses the configuration and a split point; the rest is the stream.
/// Oracles beyond "does not crash": parsing the stream whole and in two pieces must give the
/// same messages and the same error, and the extension-header negotiation must not trap.
///
///     byte 0: bit 0 role (server/client), bit 1 permessage-deflate, bit 2 context takeover,
///             bit 3 tiny message limit, bits 4-7 split position (in sixteenths)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let configuration = WebSocketParserConfiguration(
        role: control & 1 == 0 ? .server : .client,
        maxMessageSize: control & 8 == 0 ? 64 * 1024 : 40,
        permessageDeflate: control & 2 != 0)
    let takeover = control & 4 != 0
    let cut = stream.count * Int(control >> 4) / 16
    let whole = run(stream, cuts: [], configuration, takeover)
    let split = run(stream, cuts: [cut], configuration, takeover)
    if whole != split { fatalError("split at \(cut) changed the outcome") }
    // The same bytes as an extension offer and a handshake response.
    let header = String(decoding: stream, as: UTF8.self)
    _ = PerMessageDeflateNegotiation.negotiate(offers: header, configuration: PerMessageDeflateConfiguration())
    _ = PerMessageDeflateNegotiation.acceptResponse(header)
    return 0
}

/// What a run produced: the messages and, if it failed, the error.
struct Outcome: Equatable {
    var messages: [WebSocketMessage] = []
    var error: WebSocketError?
}

/// Feeds `stream` to a fresh assembler in pieces ending at `cuts`.
func run(_ stream: [UInt8], cuts: [Int], _ configuration: WebSocketParserConfiguration, _ takeover: Bool) -> Outcome {
    let decompressor = configuration.permessageDeflate ? PerMessageDeflateDecompressor(noContextTakeover: !takeover) : nil
    var assembler = WebSocketMessageAssembler(configuration: configuration, decompressor: decompressor)
    var outcome = Outcome()
    var start = 0
    for end in cuts + [stream.count] {
        let piece = stream[start..<end]
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
            break
        }
    }
    return outcome
}
