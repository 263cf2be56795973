import Foundation
import Testing

/// chat-load's command line, through `--print-config` (the resolved configuration as JSON,
/// nothing opened) and its refusals (exit status 2).
@Suite struct ChatLoadArgumentTests {
    private func config(_ arguments: String...) throws -> [String: Any] {
        let output = try ChatLoadBinary.run(arguments + ["--print-config"])
        #expect(output.status == 0, "\(arguments): \(output.stderr)")
        return try #require(output.json, "not JSON: \(output.stdout)")
    }

    private func refused(_ arguments: String..., mentioning text: String) throws {
        let output = try ChatLoadBinary.run(arguments)
        #expect(output.status == 2, "\(arguments) should be refused")
        #expect(output.stderr.contains(text), "\(arguments): \(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test func rampHasThePlansDefaults() throws {
        let ramp = try config("ramp")
        #expect(jsonInt(ramp, "start") == 100)
        #expect(jsonInt(ramp, "connections") == 1_000)
        #expect(jsonDouble(ramp, "ramp_s") == 300)
        #expect(jsonDouble(ramp, "duration_s") == 600)
        #expect(jsonDouble(ramp, "sending_s") == 900)
        #expect(jsonValue(ramp, "pacing", "mode") as? String == "interval")
        #expect(jsonDouble(ramp, "pacing", "min_s") == 5)
        #expect(jsonDouble(ramp, "pacing", "max_s") == 10)
    }

    @Test func burstSustainedFanoutIdleChatDefaults() throws {
        let burst = try config("burst")
        #expect(jsonInt(burst, "connections") == 500)
        #expect(jsonValue(burst, "pacing", "mode") as? String == "burst")
        #expect(jsonInt(burst, "pacing", "bursts") == 10)
        #expect(jsonDouble(burst, "pacing", "gap_s") == 5)

        let sustained = try config("sustained")
        #expect(jsonInt(sustained, "connections") == 1_000)
        #expect(jsonDouble(sustained, "duration_s") == 3_600)
        #expect(jsonDouble(sustained, "sample_s") == 60)
        #expect(jsonDouble(sustained, "pacing", "min_s") == 5)
        #expect(jsonDouble(sustained, "pacing", "max_s") == 10)

        let fanout = try config("fanout")
        #expect(jsonInt(fanout, "rooms") == 1)
        #expect(jsonInt(fanout, "senders") == 1)
        #expect(jsonValue(fanout, "pacing", "mode") as? String == "rate")

        let idle = try config("idle")
        #expect(jsonValue(idle, "pacing", "mode") as? String == "none")

        let chat = try config("chat")
        #expect(jsonInt(chat, "connections") == 1_000)
        #expect(jsonInt(chat, "rooms") == 100)
        #expect(jsonDouble(chat, "pacing", "rate") == 1_000)
        #expect(jsonValue(chat, "url") as? String == "ws://127.0.0.1:8080/ws")
        #expect(jsonInt(chat, "size") == 64)
        #expect(jsonInt(chat, "threads") == 1)
        // Bounded: the hard deadline covers connecting, sending, draining and a margin.
        let deadline = try #require(jsonDouble(chat, "deadline_s"))
        #expect(deadline > 60 && deadline < 120)
    }

    @Test func flagsOverrideDefaultsInBothSpellings() throws {
        let chat = try config("chat", "--connections", "50", "--rooms=5", "--rate", "200", "--duration", "3s", "--size", "128",
                              "--threads", "2", "--pid", "42", "--json", "--secret", "s3cret-s3cret-s3cret", "--binary")
        #expect(jsonInt(chat, "connections") == 50)
        #expect(jsonInt(chat, "rooms") == 5)
        #expect(jsonDouble(chat, "pacing", "rate") == 200)
        #expect(jsonDouble(chat, "duration_s") == 3)
        #expect(jsonInt(chat, "size") == 128)
        #expect(jsonInt(chat, "threads") == 2)
        #expect(jsonInt(chat, "pid") == 42)
        #expect(jsonValue(chat, "json") as? Bool == true)
        #expect(jsonValue(chat, "binary") as? Bool == true)
        // The secret itself is never printed.
        #expect(jsonValue(chat, "secret") as? Bool == true)

        let ramp = try config("ramp", "--interval", "2s-4s", "--duration", "5m", "--ramp", "1m", "--start", "10")
        #expect(jsonDouble(ramp, "pacing", "min_s") == 2)
        #expect(jsonDouble(ramp, "pacing", "max_s") == 4)
        #expect(jsonDouble(ramp, "duration_s") == 300)
        #expect(jsonDouble(ramp, "ramp_s") == 60)
        #expect(jsonInt(ramp, "start") == 10)

        let sustained = try config("sustained", "--rate", "50", "--duration", "1h", "--drain", "250ms")
        #expect(jsonValue(sustained, "pacing", "mode") as? String == "rate")
        #expect(jsonDouble(sustained, "duration_s") == 3_600)
        #expect(jsonDouble(sustained, "drain_s") == 0.25)

        let burst = try config("burst", "--bursts", "3", "--gap", "1.5")
        #expect(jsonInt(burst, "pacing", "bursts") == 3)
        #expect(jsonDouble(burst, "pacing", "gap_s") == 1.5)
        #expect(jsonDouble(burst, "sending_s") == 3)
    }

    @Test func refusesWhatMakesNoSense() throws {
        try refused("storm", mentioning: "unknown scenario")
        try refused("chat", "--connectoins", "5", mentioning: "unknown flag --connectoins")
        try refused("chat", "--connections", "many", mentioning: "--connections must be an integer")
        try refused("chat", "--connections", "0", mentioning: "--connections must be an integer")
        try refused("chat", "--duration", "soon", mentioning: "--duration must be a duration")
        try refused("chat", "--rate", "-3", mentioning: "--rate must be a positive number")
        try refused("chat", "--rate", mentioning: "--rate needs a value")
        try refused("chat", "--rate", "5", "--interval", "1-2", mentioning: "exclude each other")
        try refused("chat", "--interval", "9-2", mentioning: "--interval must be MIN-MAX")
        try refused("burst", "--rate", "5", mentioning: "burst sends in bursts")
        try refused("chat", "--bursts", "5", mentioning: "apply to burst only")
        try refused("idle", "--rate", "5", mentioning: "idle sends nothing")
        try refused("chat", "--secret", "x", "--token-url", "http://127.0.0.1/dev/token", mentioning: "exclude each other")
        try refused("chat", "--binary", "--room-base", "65000", "--rooms", "1000", mentioning: "rooms 0...65535")
        try refused("ramp", "--start", "2000", mentioning: "--start (2000) exceeds")
        try refused("chat", "--json=maybe", mentioning: "--json takes no value")
        try refused("chat", "--url", "http://127.0.0.1:8080/ws", mentioning: "scheme must be ws")
    }

    @Test func helpListsEveryScenario() throws {
        let output = try ChatLoadBinary.run(["help"])
        #expect(output.status == 0)
        for scenario in ["ramp", "burst", "sustained", "fanout", "idle", "chat"] {
            #expect(output.stdout.contains("  \(scenario) "))
        }
        #expect(try ChatLoadBinary.run([]).stdout.contains("usage: chat-load"))
    }
}
