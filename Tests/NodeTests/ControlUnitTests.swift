import Actors
import Foundation
import Rooms
import Testing
import TestSupport
@testable import NodeKit

/// The pure parts of the control socket and metrics: line splitting, request decoding,
/// the Prometheus writer, /proc parsers, rates, the degradation control.
@Suite struct ControlUnitTests {
    // MARK: ControlLineReader

    @Test func linesAreSplitAcrossReadsWithCRLFAndLimits() {
        var reader = ControlLineReader(limit: 8)
        #expect(reader.feed(Array("ab".utf8)) == [])
        #expect(reader.feed(Array("c\nde\r\n\nf".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8)), .line([])])
        #expect(reader.finish() == [.line(Array("f".utf8))])
        // Exactly the limit (with or without CR) is a line; one more byte is oversized.
        #expect(reader.feed(Array("12345678\n12345678\r\n123456789\nok\n".utf8))
                == [.line(Array("12345678".utf8)), .line(Array("12345678".utf8)), .oversized, .line(Array("ok".utf8))])
        // An endless line is reported once, as soon as it passes the limit, and skipped.
        #expect(reader.feed(Array("0123456789".utf8)) == [.oversized])
        #expect(reader.feed(Array(repeating: UInt8(ascii: "x"), count: 100_000)) == [])
        #expect(!reader.hasPartialLine, "nothing of it is buffered")
        #expect(reader.feed(Array("yyy\nnext\n".utf8)) == [.line(Array("next".utf8))])
    }

    @Test func randomChunkingGivesTheSameLines() {
        var generator = SplitMix64(seed: 7)
        let text = (0..<200).map { index in String(repeating: "a", count: Int(index % 13)) + (index % 5 == 0 ? "\r" : "") }
            .joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        var whole = ControlLineReader(limit: 10)
        let expected = whole.feed(bytes)
        for _ in 0..<50 {
            var reader = ControlLineReader(limit: 10)
            var items: [ControlLineReader.Item] = []
            var offset = 0
            while offset < bytes.count {
                let size = Int(generator.next() % 17) + 1
                let end = min(bytes.count, offset + size)
                items += reader.feed(Array(bytes[offset..<end]))
                offset = end
            }
            #expect(items == expected)
        }
    }

    // MARK: ControlRequest

    @Test func requestsDecodeToCommands() throws {
        func parse(_ text: String, token: String? = nil) -> Result<ControlRequest, ControlRequestError> {
            ControlRequest.parse(Array(text.utf8), token: token, maxTextBytes: 16)
        }
        let rooms = ActorPath.node.appending("rooms").appending("42")
        #expect(try parse(#"{"cmd":"tree"}"#).get().command == .tree)
        #expect(try parse(#"{"cmd":"inspect","path":"/node/rooms/42"}"#).get().command == .inspect(rooms))
        #expect(try parse(#"{"cmd":"kill","path":"/node/rooms/42","id":5}"#).get() == ControlRequest(command: .kill(rooms), id: "5"))
        #expect(try parse(#"{"cmd":"restart","path":"/node/rooms/42","id":"x\"y"}"#).get().id == #""x\"y""#)
        #expect(try parse(#"{"cmd":"level"}"#).get().command == .level(.get))
        #expect(try parse(#"{"cmd":"level","pin":"high"}"#).get().command == .level(.pin(.high)))
        #expect(try parse(#"{"cmd":"level","unpin":true}"#).get().command == .level(.unpin))
        #expect(try parse(#"{"cmd":"conns"}"#).get().command == .conns(limit: 20))
        #expect(try parse(#"{"cmd":"rooms","by":"rate","limit":3}"#).get().command == .rooms(limit: 3, by: .rate))
        #expect(try parse(#"{"cmd":"broadcast","text":"hi","room":7}"#).get().command == .broadcast(text: "hi", room: 7))
        #expect(try parse(#"{"cmd":"broadcast","text":"hi","room":null}"#).get().command == .broadcast(text: "hi", room: nil))
        #expect(try parse(#"{"cmd":"drain","extra":[1,{"a":null}]}"#).get().command == .drain)
        #expect(throws: ControlRequestError(#""text" is over 16 bytes"#)) {
            try parse(#"{"cmd":"broadcast","text":"01234567890123456"}"#).get()
        }
        #expect(throws: ControlRequestError("unauthorized", id: "1")) { try parse(#"{"cmd":"tree","id":1}"#, token: "t").get() }
        #expect(try parse(#"{"cmd":"tree","token":"t"}"#, token: "t").get().command == .tree)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 99)
        let fragments = [#"{"#, #"}"#, #""cmd""#, ":", ",", #""tree""#, #""path""#, #""/node/rooms/1""#, "[", "]", "null",
                         "1e999", "-", "\"\\u00", "\u{0}", "\u{FF}", #""pin""#, #""critical""#, #""limit""#, "99999999999999999999"]
        for _ in 0..<5000 {
            var line = ""
            for _ in 0..<(generator.next() % 12) { line += fragments[Int(generator.next() % UInt64(fragments.count))] }
            _ = ControlRequest.parse(Array(line.utf8), token: nil, maxTextBytes: 4096)
            var bytes: [UInt8] = []
            for _ in 0..<(generator.next() % 40) { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
            _ = ControlRequest.parse(bytes, token: "tok", maxTextBytes: 4096)
        }
    }

    @Test func repliesAreOneLineWithOkFirst() throws {
        struct Result: Encodable { var path = "/node/a"; var n = 1 }
        #expect(String(decoding: ControlReply.success(Result(), id: nil), as: UTF8.self) == #"{"ok":true,"n":1,"path":"/node/a"}"# + "\n")
        struct Empty: Encodable {}
        #expect(String(decoding: ControlReply.success(Empty(), id: "7"), as: UTF8.self) == #"{"ok":true,"id":7}"# + "\n")
        #expect(String(decoding: ControlReply.failure("bad \"x\"\n", id: nil), as: UTF8.self) == #"{"ok":false,"error":"bad \"x\"\n"}"# + "\n")
    }

    // MARK: Metrics pieces

    @Test func prometheusTextEscapesAndFormats() {
        var text = PrometheusText()
        text.family("a_total", .counter, "Help with \\ and\nnewline.", [([("path", "/x\"y\\z\n")], 3), ([], 1.5)])
        text.single("b", .gauge, "B.", Double.infinity)
        #expect(text.text == """
        # HELP a_total Help with \\\\ and\\nnewline.
        # TYPE a_total counter
        a_total{path="/x\\"y\\\\z\\n"} 3
        a_total 1.5
        # HELP b B.
        # TYPE b gauge
        b +Inf

        """)
    }

    @Test func prometheusHistogramsAreCumulativeWithSumAndCount() {
        let histogram = Histogram(bounds: [50_000, 1_000_000], unitsPerBase: 1e9)
        histogram.record(10_000)
        histogram.record(60_000)
        histogram.record(2_000_000_000)
        var text = PrometheusText()
        text.histogram("x_seconds", "X.", [([("shard", "s-1")], histogram.snapshot())])
        #expect(text.text == """
        # HELP x_seconds X.
        # TYPE x_seconds histogram
        x_seconds_bucket{shard="s-1",le="5e-05"} 1
        x_seconds_bucket{shard="s-1",le="0.001"} 2
        x_seconds_bucket{shard="s-1",le="+Inf"} 3
        x_seconds_sum{shard="s-1"} 2.00007
        x_seconds_count{shard="s-1"} 3

        """)
    }

    @Test func procParsers() {
        let status = "Name:\tchat-node\nVmPeak:\t  300000 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n"
        #expect(ProcessStats.parseResidentBytes(status) == 12345 * 1024)
        #expect(ProcessStats.parseResidentBytes("Name: x\n") == nil)
        #expect(ProcessStats.parseResidentBytes("VmRSS: lots kB\n") == nil)
        let stat = "4242 (chat) node) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 125 0 0 20 0 6 0 12345 0 0"
        #expect(ProcessStats.parseCPUTicks(stat) == 375)
        #expect(ProcessStats.parseCPUTicks("4242 (x) S 1 2") == nil)
        #expect(ProcessStats.parseCPUTicks("garbage") == nil)
        #expect(ProcessStats.residentBytes().map { $0 > 0 } == true)
        #expect(ProcessStats.cpuSeconds() != nil)
        #expect(ProcessStats.parseLoopNumber("gateway-loop-0\n") == 0)
        #expect(ProcessStats.parseLoopNumber("gateway-loop-12\n") == 12)
        #expect(ProcessStats.parseLoopNumber("control-loop\n") == nil)
        #expect(ProcessStats.parseLoopNumber("gateway-loop-x") == nil)
        #expect(ProcessStats.parseLoopNumber("gateway-loop--1") == nil)
    }

    /// The load monitor's CPU ratio: the process against its quota, or the busiest loop
    /// against one core, whichever is larger.
    @Test func cpuRatioTakesTheBusiestLoop() {
        // Two loops on a two-core quota: 1.2 s of 1 s wall is 60 % of the quota...
        #expect(ProcessLoadSampler.cpuRatio(processSeconds: 1.2, loopSeconds: [0.6, 0.5], wallSeconds: 1, quota: 2) == 0.6)
        // ...but a loop at 95 % of its core is 95 % whatever the others do.
        #expect(ProcessLoadSampler.cpuRatio(processSeconds: 1.0, loopSeconds: [0.95, 0.05], wallSeconds: 1, quota: 2) == 0.95)
        // Half a core of quota: the process ratio rules.
        #expect(ProcessLoadSampler.cpuRatio(processSeconds: 0.4, loopSeconds: [0.4], wallSeconds: 1, quota: 0.5) == 0.8)
        #expect(ProcessLoadSampler.cpuRatio(processSeconds: 1, loopSeconds: [], wallSeconds: 0, quota: 1) == 0)
    }

    @Test func ratesBetweenSamples() {
        let first = NodeSample(atSeconds: 10, received: 100, framesOut: 1000, delivered: 500, cpuSeconds: 1.0)
        let second = NodeSample(atSeconds: 12, received: 300, framesOut: 1400, delivered: 900, cpuSeconds: 1.5)
        let rates = NodeRates.between(first, second)
        #expect(rates.messagesInPerSecond == 100)
        #expect(rates.messagesOutPerSecond == 200)
        #expect(rates.deliveriesPerSecond == 200)
        #expect(rates.cpuPercent == 25)
        #expect(NodeRates.between(second, first) == NodeRates(), "time going back gives zero rates")
        #expect(NodeRates.between(first, first) == NodeRates())
    }

    @Test func degradationControlPinsOverTheMeasuredLevel() {
        let control = DegradationControl()
        let seen = LockedLevels()
        control.onChange { seen.append($0) }
        control.setMeasured(.elevated)
        control.pin(.critical)
        control.setMeasured(.high)  // hidden by the pin: no change in force
        #expect(control.effective == .critical)
        control.unpin()
        #expect(control.effective == .high)
        #expect(control.levels == DegradationControl.Levels(measured: .high, pinned: nil))
        #expect(seen.all == [.elevated, .critical, .high])
        #expect(control.changes == 3)
    }
}

/// Levels seen by an observer (called on the changing thread).
private final class LockedLevels: @unchecked Sendable {
    private let lock = NSLock()
    private var levels: [LoadLevel] = []
    func append(_ level: LoadLevel) { lock.lock(); levels.append(level); lock.unlock() }
    var all: [LoadLevel] { lock.lock(); defer { lock.unlock() }; return levels }
}
