import Testing
@testable import Rooms

/// Decodes a JSON command with the default decoder.
func command(_ text: String, maxTextBytes: Int = 4_096) throws(ProtocolError) -> ClientCommand {
    try ClientCommandDecoder(maxTextBytes: maxTextBytes).decode(Array(text.utf8))
}

/// The error a JSON command is refused with, or `nil` when it decodes.
func refusal(_ text: String, maxTextBytes: Int = 4_096) -> ProtocolError? {
    do {
        _ = try command(text, maxTextBytes: maxTextBytes)
        return nil
    } catch {
        return error
    }
}

@Suite("Protocol client commands from JSON")
struct ProtocolCommandTests {
    @Test func everyCommandDecodes() throws {
        #expect(try command(#"{"t":"join","room":42}"#) == .join(room: 42, since: nil, epoch: nil))
        #expect(try command(#"{"t":"join","room":42,"since":"1234567890123","epoch":"e7"}"#) == .join(room: 42, since: 1_234_567_890_123, epoch: "e7"))
        #expect(try command(#"{"t":"leave","room":4294967295}"#) == .leave(room: 4_294_967_295))
        #expect(try command(#"{"t":"send","room":0,"text":"hi \u00e9","cid":"c-1"}"#) == .send(room: 0, text: "hi é", cid: "c-1"))
        #expect(try command(#"{"t":"dm","to":7,"text":"yo","cid":"x"}"#) == .dm(to: 7, text: "yo", cid: "x"))
        #expect(try command(#"{"t":"typing","room":3}"#) == .typing(room: 3))
        #expect(try command(#"{"t":"read","room":3,"id":"18446744073709551615"}"#) == .read(room: 3, id: UInt64.max))
        #expect(try command(#"{"t":"edit","room":3,"id":"9","text":"new"}"#) == .edit(room: 3, id: 9, text: "new"))
        #expect(try command(#"{"t":"history","room":3}"#) == .history(room: 3, before: nil, limit: 50))
        #expect(try command(#"{"t":"history","room":3,"before":"100","limit":200}"#) == .history(room: 3, before: 100, limit: 200))
        #expect(try command(#"{"t":"presence","users":[1,2,4294967295]}"#) == .presence(users: [1, 2, 4_294_967_295]))
        #expect(try command(#"{"t":"presence","users":[]}"#) == .presence(users: []))
        #expect(try command(#"{"t":"chats"}"#) == .chats)
    }

    @Test func unknownFieldsAreIgnoredAndNullMeansAbsent() throws {
        #expect(try command(#"{"x":{"deep":[1,2]},"t":"join","room":1,"since":null,"epoch":null,"extra":"y"}"#) == .join(room: 1, since: nil, epoch: nil))
        #expect(try command(#"{"t":"history","room":1,"before":null,"limit":null}"#) == .history(room: 1, before: nil, limit: 50))
        #expect(try command(#"{"t":"chats","room":"whatever"}"#) == .chats)
    }

    @Test func messageIDsAlsoAcceptNonNegativeIntegers() throws {
        #expect(try command(#"{"t":"read","room":1,"id":12}"#) == .read(room: 1, id: 12))
        #expect(try command(#"{"t":"join","room":1,"since":18446744073709551615}"#) == .join(room: 1, since: UInt64.max, epoch: nil))
        #expect(try command(#"{"t":"read","room":1,"id":"007"}"#) == .read(room: 1, id: 7))
    }

    @Test(arguments: [
        #"{"t":"read","room":1,"id":"18446744073709551616"}"#, #"{"t":"read","room":1,"id":""}"#,
        #"{"t":"read","room":1,"id":"-1"}"#, #"{"t":"read","room":1,"id":"+1"}"#, #"{"t":"read","room":1,"id":" 1"}"#,
        #"{"t":"read","room":1,"id":"1e3"}"#, #"{"t":"read","room":1,"id":-1}"#, #"{"t":"read","room":1,"id":1.5}"#,
        #"{"t":"read","room":1,"id":true}"#, #"{"t":"read","room":1}"#, #"{"t":"read","room":1,"id":null}"#,
        #"{"t":"edit","room":1,"text":"x"}"#, #"{"t":"join","room":1,"since":"abc"}"#, #"{"t":"history","room":1,"before":[]}"#,
    ])
    func badMessageIDs(_ text: String) {
        #expect(refusal(text)?.code == .badRequest)
    }

    @Test(arguments: [
        #"{"t":"join","room":-1}"#, #"{"t":"join","room":4294967296}"#, #"{"t":"join","room":1.0}"#,
        #"{"t":"join","room":"1"}"#, #"{"t":"join"}"#, #"{"t":"join","room":null}"#, #"{"t":"leave","room":1e2}"#,
        #"{"t":"typing","room":true}"#, #"{"t":"dm","to":-5,"text":"a","cid":"c"}"#, #"{"t":"history","room":[1]}"#,
        #"{"t":"join","room":1,"epoch":5}"#, #"{"t":"send","room":18446744073709551616,"text":"a","cid":"c"}"#,
    ])
    func badIDsAndTypes(_ text: String) {
        #expect(refusal(text)?.code == .badRequest)
    }

    @Test(arguments: [
        #"[]"#, #""join""#, #"{}"#, #"{"t":5}"#, #"{"t":"JOIN","room":1}"#, #"{"t":"nope"}"#, #"{"t":"join","room":1,}"#,
        "not json", "", #"{"t":"join","room":01}"#,
    ])
    func malformedFramesAndUnknownTypes(_ text: String) {
        #expect(refusal(text)?.code == .badRequest)
        #expect(refusal(text)?.cid == nil)
    }

    @Test func historyLimitRange() {
        #expect(refusal(#"{"t":"history","room":1,"limit":201}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"history","room":1,"limit":0}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"history","room":1,"limit":-1}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"history","room":1,"limit":"10"}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"history","room":1,"limit":1}"#) == nil)
    }

    @Test func presenceUsersRules() {
        let five00 = (1...500).map(String.init).joined(separator: ",")
        #expect(refusal(#"{"t":"presence","users":[\#(five00)]}"#) == nil)
        #expect(refusal(#"{"t":"presence","users":[\#(five00),501]}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"presence","users":[1,-2]}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"presence","users":[1,"2"]}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"presence","users":[4294967296]}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"presence","users":1}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"presence"}"#)?.code == .badRequest)
    }

    @Test func cidRules() throws {
        let max = String(repeating: "a", count: 64)
        #expect(try command(#"{"t":"send","room":1,"text":"a","cid":"\#(max)"}"#) == .send(room: 1, text: "a", cid: max))
        let emoji = String(repeating: "é", count: 64) // 64 scalars, 128 bytes: counted in scalars
        #expect(try command(#"{"t":"dm","to":1,"text":"a","cid":"\#(emoji)"}"#) == .dm(to: 1, text: "a", cid: emoji))
        for bad in [#""\#(max)a""#, #""\#(emoji)é""#, #""""#, "5", "null"] {
            let error = refusal(#"{"t":"send","room":1,"text":"a","cid":\#(bad)}"#)
            #expect(error?.code == .badRequest && error?.cid == nil)
        }
        #expect(refusal(#"{"t":"send","room":1,"text":"a"}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"dm","to":1,"text":"a"}"#)?.code == .badRequest)
    }

    @Test func textRules() throws {
        let limit = String(repeating: "é", count: 2_048) // 4,096 bytes
        #expect(try command(#"{"t":"send","room":1,"text":"\#(limit)","cid":"c"}"#) == .send(room: 1, text: limit, cid: "c"))
        let tooLarge = refusal(#"{"t":"send","room":1,"text":"\#(limit)a","cid":"c9"}"#)
        #expect(tooLarge?.code == .tooLarge && tooLarge?.cid == "c9")
        let dm = refusal(#"{"t":"dm","to":1,"text":"abcdef","cid":"d"}"#, maxTextBytes: 5)
        #expect(dm?.code == .tooLarge && dm?.cid == "d")
        let edit = refusal(#"{"t":"edit","room":1,"id":"1","text":"abcdef"}"#, maxTextBytes: 5)
        #expect(edit?.code == .tooLarge && edit?.cid == nil)
        // The limit counts decoded bytes: six escaped bytes are one byte of text.
        #expect(try command(#"{"t":"send","room":1,"text":"\u0041","cid":"c"}"#, maxTextBytes: 1) == .send(room: 1, text: "A", cid: "c"))
        let empty = refusal(#"{"t":"send","room":1,"text":"","cid":"c"}"#)
        #expect(empty?.code == .badRequest && empty?.cid == "c")
        #expect(refusal(#"{"t":"edit","room":1,"id":"1","text":""}"#)?.code == .badRequest)
        #expect(refusal(#"{"t":"send","room":1,"text":7,"cid":"c"}"#)?.cid == "c")
        #expect(refusal(#"{"t":"send","room":1,"cid":"c"}"#)?.code == .badRequest)
    }

    @Test func errorsAfterTheCidCarryIt() {
        let error = refusal(#"{"t":"send","room":-1,"text":"a","cid":"k"}"#)
        #expect(error?.code == .badRequest && error?.cid == "k")
        #expect(refusal(#"{"t":"dm","to":"x","text":"a","cid":"k"}"#)?.cid == "k")
    }

    @Test func decodesFromARawBuffer() throws {
        let bytes = Array(#"{"t":"typing","room":9}"#.utf8)
        let decoded = try bytes.withUnsafeBytes { buffer throws(ProtocolError) in try ClientCommandDecoder().decode(buffer) }
        #expect(decoded == .typing(room: 9))
    }
}
