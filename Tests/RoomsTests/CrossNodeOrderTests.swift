import Gateway
import Testing
@testable import Rooms

/// The hold-back window of rooms with traffic from several nodes, driven with plain times.
@Suite struct CrossNodeOrderTests {
    static let window: Int64 = 50
    static let base: Int64 = 1_780_000_000_000

    /// A message made at `ms` (wall clock) by `node`.
    func message(_ ms: Int64, node: UInt16, seq: UInt16 = 0) -> ChatMessage {
        let id = MessageID.make(milliseconds: UInt64(ms - MessageID.epochMs), node: node, sequence: seq)
        return ChatMessage(chat: .room(1), id: id, from: UInt32(node), ts: ms, text: "")
    }

    @Test func oneSourceIsDeliveredAtOnce() {
        var order = CrossNodeOrder()
        for step in 0..<5 {
            let ready = order.accept(message(Self.base + Int64(step), node: 1), except: nil, source: 1,
                                     nowMs: Self.base + Int64(step), windowMs: Self.window)
            #expect(ready.count == 1)
        }
        #expect(order.held.isEmpty)
        #expect(!order.isMultiSource(nowMs: Self.base + 10))
    }

    @Test func twoSourcesAreHeldAndReleasedInIDOrder() {
        var order = CrossNodeOrder()
        var delivered: [UInt64] = []
        let t = Self.base
        // Node 1 (local) sends at t; node 2's message made at t-1 arrives at t+5.
        delivered += order.accept(message(t - 10, node: 1), except: nil, source: 1, nowMs: t - 10, windowMs: Self.window)
            .map(\.message.id)
        delivered += order.accept(message(t + 2, node: 2), except: nil, source: 2, nowMs: t + 3, windowMs: Self.window)
            .map(\.message.id)
        #expect(order.isMultiSource(nowMs: t + 3))
        delivered += order.accept(message(t + 4, node: 1), except: nil, source: 1, nowMs: t + 4, windowMs: Self.window)
            .map(\.message.id)
        delivered += order.accept(message(t + 1, node: 2, seq: 1), except: nil, source: 2, nowMs: t + 6, windowMs: Self.window)
            .map(\.message.id)
        #expect(delivered.count == 1, "only the first message (one source until then) passed at once")
        #expect(order.nextDueMs(windowMs: Self.window) == t + 1 + Self.window)
        #expect(order.release(nowMs: t + Self.window, windowMs: Self.window).isEmpty, "nothing due yet")
        delivered += order.release(nowMs: t + 4 + Self.window, windowMs: Self.window).map(\.message.id)
        #expect(Array(delivered.dropFirst()) == [message(t + 1, node: 2, seq: 1).id, message(t + 2, node: 2).id, message(t + 4, node: 1).id])
        #expect(order.held.isEmpty)
        #expect(order.late == 0)
    }

    @Test func aMessageLaterThanTheWindowIsDeliveredAtOnceAndCounted() {
        var order = CrossNodeOrder()
        let t = Self.base
        _ = order.accept(message(t, node: 1), except: nil, source: 1, nowMs: t, windowMs: Self.window)
        _ = order.accept(message(t + 1, node: 2), except: nil, source: 2, nowMs: t + 1, windowMs: Self.window)
        _ = order.accept(message(t + 2, node: 1), except: nil, source: 1, nowMs: t + 2, windowMs: Self.window)
        let released = order.release(nowMs: t + 100, windowMs: Self.window)
        #expect(released.map(\.message.id) == [message(t + 1, node: 2).id, message(t + 2, node: 1).id])
        let late = order.accept(message(t + 1, node: 3), except: nil, source: 3, nowMs: t + 200, windowMs: Self.window)
        #expect(late.count == 1)
        #expect(order.late == 1)
    }

    @Test func aConnectionThatJoinedDuringTheWindowIsNotSentWhatItsHistoryHad() {
        var order = CrossNodeOrder()
        let t = Self.base
        let joiner = ConnectionID(slot: 9, generation: 1)
        _ = order.accept(message(t, node: 1), except: nil, source: 1, nowMs: t, windowMs: Self.window)
        _ = order.accept(message(t + 1, node: 2), except: nil, source: 2, nowMs: t + 1, windowMs: Self.window)
        _ = order.accept(message(t + 3, node: 1), except: nil, source: 1, nowMs: t + 3, windowMs: Self.window)
        // The joiner's history (read from Valkey) already has t+1 (stored by node 2), but
        // neither t (node 1's, still on its way to storage) nor t+3.
        order.noteJoined(joiner, history: [message(t + 1, node: 2).id], nowMs: t + 5, windowMs: Self.window)
        #expect(order.alreadyHave(message(t + 1, node: 2).id) == [joiner])
        #expect(order.alreadyHave(message(t, node: 1).id).isEmpty, "a lower id missing from the history is still sent")
        #expect(order.alreadyHave(message(t + 3, node: 1).id).isEmpty)
    }

    @Test func randomArrivalsWithinTheWindowComeOutSorted() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var order = CrossNodeOrder()
            // The room already hears all three nodes (the window is on).
            for node in UInt64(1)...3 {
                _ = order.accept(message(Self.base - 100, node: UInt16(node), seq: 4000), except: nil, source: node,
                                 nowMs: Self.base - 100, windowMs: Self.window)
            }
            _ = order.releaseAll()
            // Three nodes each make 40 messages over 200 ms; each arrives 0...40 ms later.
            var arrivals: [(at: Int64, message: ChatMessage, source: UInt64)] = []
            for node in UInt16(1)...3 {
                var made = Self.base
                for seq in 0..<40 {
                    made += Int64.random(in: 0...5, using: &random)
                    let delay = node == 1 ? 0 : Int64.random(in: 0...40, using: &random)
                    arrivals.append((made + delay, message(made, node: node, seq: UInt16(seq)), UInt64(node)))
                }
            }
            // Per source, arrivals keep their order (one publisher's channel is FIFO).
            arrivals.sort { $0.at < $1.at }
            var out: [UInt64] = []
            for arrival in arrivals {
                out += order.release(nowMs: arrival.at, windowMs: Self.window).map(\.message.id)
                out += order.accept(arrival.message, except: nil, source: arrival.source, nowMs: arrival.at, windowMs: Self.window)
                    .map(\.message.id)
            }
            out += order.releaseAll().map(\.message.id)
            #expect(out.count == 120)
            #expect(out == out.sorted(), "ids out of order")
            #expect(order.late == 0)
        }
    }
}
