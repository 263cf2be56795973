import Foundation
import Testing
@testable import Rooms

@Suite("Protocol server events")
struct ProtocolEventTests {
    private let message = ChatMessage(chat: .room(42), id: 1_234_567_890_123_456_789, from: 7, ts: 1_733_000_000_123, text: "hi \"you\" <script>\n😀")

    /// Checks one embedded or top-level `msg` object field by field.
    private func expectMessage(_ object: Any?, _ expected: ChatMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let object = object as? [String: Any] else {
            Issue.record("not an object", sourceLocation: sourceLocation)
            return
        }
        #expect(object["t"] as? String == "msg", sourceLocation: sourceLocation)
        switch expected.chat {
        case .room(let room):
            #expect((object["room"] as? NSNumber)?.uint32Value == room && object["dm"] == nil, sourceLocation: sourceLocation)
        case .dm(let peer):
            #expect((object["dm"] as? NSNumber)?.uint32Value == peer && object["room"] == nil, sourceLocation: sourceLocation)
        }
        #expect(object["id"] as? String == String(expected.id), sourceLocation: sourceLocation)
        #expect((object["from"] as? NSNumber)?.uint32Value == expected.from, sourceLocation: sourceLocation)
        #expect((object["ts"] as? NSNumber)?.int64Value == expected.ts, sourceLocation: sourceLocation)
        #expect(object["text"] as? String == expected.text, sourceLocation: sourceLocation)
        #expect((object["edited"] as? NSNumber)?.int64Value == expected.edited, sourceLocation: sourceLocation)
    }

    @Test func msgInRoomAndDM() throws {
        expectMessage(try foundationObject(ServerEventEncoder.msg(message)), message)
        var dm = message
        dm.chat = .dm(peer: 4_294_967_295)
        dm.edited = 1_733_000_000_999
        expectMessage(try foundationObject(ServerEventEncoder.msg(dm)), dm)
        let exact = String(decoding: ServerEventEncoder.msg(ChatMessage(chat: .room(1), id: 9, from: 2, ts: 3, text: "a")), as: UTF8.self)
        #expect(exact == #"{"t":"msg","room":1,"id":"9","from":2,"ts":3,"text":"a"}"#)
    }

    @Test func joinedWithAndWithoutGap() throws {
        let second = ChatMessage(chat: .room(42), id: 5, from: 8, ts: 9, text: "b", edited: 10)
        let object = try foundationObject(ServerEventEncoder.joined(room: 42, epoch: "ep-1", members: 3, history: [message, second], gap: true))
        #expect(object["t"] as? String == "joined")
        #expect((object["room"] as? NSNumber)?.intValue == 42)
        #expect(object["epoch"] as? String == "ep-1")
        #expect((object["members"] as? NSNumber)?.intValue == 3)
        #expect(object["gap"] as? Bool == true)
        let history = try #require(object["history"] as? [Any])
        #expect(history.count == 2)
        expectMessage(history.first, message)
        expectMessage(history.last, second)
        let plain = try foundationObject(ServerEventEncoder.joined(room: 1, epoch: "e", members: 0, history: []))
        #expect(plain["gap"] == nil && (plain["history"] as? [Any])?.isEmpty == true)
    }

    @Test func ackTypingReadEditedLeft() throws {
        let ack = try foundationObject(ServerEventEncoder.ack(cid: "c\"1", id: UInt64.max, ts: 17))
        #expect(ack["t"] as? String == "ack" && ack["cid"] as? String == "c\"1")
        #expect(ack["id"] as? String == "18446744073709551615" && (ack["ts"] as? NSNumber)?.int64Value == 17)

        let typing = try foundationObject(ServerEventEncoder.typing(room: 4, user: 5))
        #expect(typing["t"] as? String == "typing" && (typing["room"] as? NSNumber)?.intValue == 4 && (typing["user"] as? NSNumber)?.intValue == 5)

        let read = try foundationObject(ServerEventEncoder.read(room: 4, user: 5, id: 66))
        #expect(read["t"] as? String == "read" && (read["room"] as? NSNumber)?.intValue == 4)
        #expect((read["user"] as? NSNumber)?.intValue == 5 && read["id"] as? String == "66")

        let edited = try foundationObject(ServerEventEncoder.edited(room: 4, id: 66, text: "new\ttext", ets: 99))
        #expect(edited["t"] as? String == "edited" && (edited["room"] as? NSNumber)?.intValue == 4 && edited["id"] as? String == "66")
        #expect(edited["text"] as? String == "new\ttext" && (edited["ets"] as? NSNumber)?.intValue == 99)

        let left = try foundationObject(ServerEventEncoder.left(room: 4_294_967_295))
        #expect(left["t"] as? String == "left" && (left["room"] as? NSNumber)?.uint32Value == 4_294_967_295)
    }

    @Test func historyPage() throws {
        let object = try foundationObject(ServerEventEncoder.history(room: 42, messages: [message]))
        #expect(object["t"] as? String == "history" && (object["room"] as? NSNumber)?.intValue == 42)
        let msgs = try #require(object["msgs"] as? [Any])
        #expect(msgs.count == 1)
        expectMessage(msgs.first, message)
        let empty = try foundationObject(ServerEventEncoder.history(room: 1, messages: []))
        #expect((empty["msgs"] as? [Any])?.isEmpty == true)
    }

    @Test func presenceReplyAndChange() throws {
        let reply = try foundationObject(ServerEventEncoder.presence(online: [1, 4_294_967_295]))
        #expect(reply["t"] as? String == "presence")
        #expect((reply["online"] as? [NSNumber])?.map(\.uint32Value) == [1, 4_294_967_295])
        #expect(reply["user"] == nil)
        let change = try foundationObject(ServerEventEncoder.presenceChange(user: 3, online: false))
        #expect(change["t"] as? String == "presence" && (change["user"] as? NSNumber)?.intValue == 3 && change["online"] as? Bool == false)
    }

    @Test func chatsList() throws {
        var dmMessage = message
        dmMessage.chat = .dm(peer: 9)
        let object = try foundationObject(ServerEventEncoder.chats([
            ChatListEntry(chat: .room(42), last: message, unread: 2, online: true),
            ChatListEntry(chat: .dm(peer: 9), last: dmMessage, unread: 0, online: true),
            ChatListEntry(chat: .room(43), last: nil, unread: 0),
        ]))
        #expect(object["t"] as? String == "chats")
        let items = try #require(object["items"] as? [[String: Any]])
        #expect(items.count == 3)
        #expect((items[0]["room"] as? NSNumber)?.intValue == 42 && (items[0]["unread"] as? NSNumber)?.intValue == 2)
        #expect(items[0]["online"] == nil && items[0]["dm"] == nil)
        expectMessage(items[0]["last"], message)
        #expect((items[1]["dm"] as? NSNumber)?.intValue == 9 && items[1]["online"] as? Bool == true)
        expectMessage(items[1]["last"], dmMessage)
        #expect(items[2]["last"] is NSNull && (items[2]["room"] as? NSNumber)?.intValue == 43)
        #expect((try foundationObject(ServerEventEncoder.chats([]))["items"] as? [Any])?.isEmpty == true)
    }

    @Test func modeEvent() throws {
        let object = try foundationObject(ServerEventEncoder.mode(level: .critical, disabled: DegradableFeature.allCases))
        #expect(object["t"] as? String == "mode" && object["level"] as? String == "critical")
        #expect(object["disabled"] as? [String] == ["typing", "presence", "receipts", "edits", "uploads"])
        let normal = try foundationObject(ServerEventEncoder.mode(level: .normal, disabled: []))
        #expect(normal["level"] as? String == "normal" && (normal["disabled"] as? [Any])?.isEmpty == true)
        #expect(LoadLevel.normal < .elevated && LoadLevel.high < .critical && !(LoadLevel.critical < .high))
    }

    @Test func errorEvents() throws {
        let limited = try foundationObject(ServerEventEncoder.error(ProtocolError(.rateLimited, "slow down", cid: "c1", retryAfterMs: 1_200)))
        #expect(limited["t"] as? String == "error" && limited["code"] as? String == "rate_limited")
        #expect(limited["msg"] as? String == "slow down" && limited["cid"] as? String == "c1")
        #expect((limited["retry_ms"] as? NSNumber)?.intValue == 1_200)
        let plain = try foundationObject(ServerEventEncoder.error(ProtocolError(.notMember, "join first")))
        #expect(plain["code"] as? String == "not_member" && plain["cid"] == nil && plain["retry_ms"] == nil)
        let names = ProtocolErrorCode.allCases.map(\.rawValue)
        #expect(names == ["bad_request", "forbidden", "not_member", "not_author", "rate_limited", "too_large", "unavailable", "degraded"])
    }

    @Test func encodedTextSurvivesBothParsers() throws {
        let nasty = "\u{0}\u{1}\u{1F}\"\\/</script>\u{2028}é😀\r\n"
        let bytes = ServerEventEncoder.msg(ChatMessage(chat: .room(1), id: 1, from: 1, ts: 1, text: nasty))
        #expect(try foundationObject(bytes)["text"] as? String == nasty)
        #expect(try JSONDocument.parse(bytes).root["text"]?.string == nasty)
    }
}
