@preconcurrency import Glibc
import Foundation
import Gateway

/// One run, from the main thread: checks the target, prepares tokens, starts the loops and
/// their workers, moves the phases on, prints progress and the summary.
///
/// The main thread never touches a connection: it reads the `StatsBoard`, writes the phase
/// into `RunControl`, and samples the node's CPU and memory.
enum LoadRun {
    /// Runs `config`; returns the exit status (0 completed, 1 deadline or failure to start,
    /// 2 refused target, 130 interrupted).
    static func run(_ config: LoadConfiguration) -> Int32 {
        if config.printConfig {
            print(config.configJSON)
            return 0
        }
        let target: TargetURL
        let tokenURL: TargetURL?
        var nodeSampler: ProcessSampler?
        do throws(LoadArgumentError) {
            target = try TargetURL.parse(config.url, schemes: ["ws"])
            try target.requireLoopback(allowRemote: config.allowRemote, flag: "--url")
            tokenURL = try config.tokenURL.map { text throws(LoadArgumentError) in
                let url = try TargetURL.parse(text, schemes: ["http"])
                try url.requireLoopback(allowRemote: config.allowRemote, flag: "--token-url")
                return url
            }
            if let pid = config.pid {
                nodeSampler = ProcessSampler(source: .proc(pid: pid))
            } else {
                let text = config.metricsURL ?? "http://\(target.address):\(target.port)/metrics"
                let url = try TargetURL.parse(text, schemes: ["http"])
                try url.requireLoopback(allowRemote: config.allowRemote, flag: "--metrics-url")
                nodeSampler = ProcessSampler(source: .metrics(HTTPFetcher(target: url, timeoutMilliseconds: 500), path: url.pathAndQuery))
            }
        } catch {
            printError(error.message)
            return 2
        }
        raiseDescriptorLimit(to: UInt64(config.connections) + 256, quiet: config.quiet)
        installInterruptHandlers()

        let tokens: TokenSource
        do {
            tokens = try TokenSource.make(config, tokenURL: tokenURL) { fetched in
                if !config.quiet { printError("chat-load: fetched \(fetched) tokens") }
            }
        } catch {
            printError("chat-load: \(error.message)")
            return 1
        }
        var run = Runner(config: config, target: target, tokens: tokens, nodeSampler: nodeSampler)
        return run.execute()
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Thousands of connections need thousands of descriptors: raise the soft limit to
    /// the hard one when it is lower than needed.
    static func raiseDescriptorLimit(to needed: UInt64, quiet: Bool) {
        let needed = rlim_t(needed)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < needed {
            limit.rlim_cur = min(limit.rlim_max, max(needed, limit.rlim_cur))
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        if limit.rlim_cur < needed && !quiet {
            printError("chat-load: warning: descriptor limit \(limit.rlim_cur) is below the \(needed) needed (ulimit -n)")
        }
    }
}

/// The state of one run on the main thread.
private struct Runner {
    let config: LoadConfiguration
    let target: TargetURL
    let tokens: TokenSource
    let nodeSampler: ProcessSampler?
    let generatorSampler = ProcessSampler(source: .proc(pid: getpid()))
    var nodeSamples: [ProcessSample] = []
    var generatorSamples: [ProcessSample] = []

    init(config: LoadConfiguration, target: TargetURL, tokens: TokenSource, nodeSampler: ProcessSampler?) {
        self.config = config
        self.target = target
        self.tokens = tokens
        self.nodeSampler = nodeSampler
    }

    mutating func execute() -> Int32 {
        let start = MonotonicClock.nanoseconds()
        let control = RunControl(runStart: start)
        let board = StatsBoard(workers: config.threads)
        let rooms = RoomRegistry()
        let tag = UInt16.random(in: 1 ... .max)
        var schedule = RunSchedule(config: config, start: start)
        if schedule.phase == .sending { control.enter(.sending, at: start) }
        sample(at: 0, generator: schedule.phase == .sending)

        var loops: [EventLoop] = []
        for index in 0..<config.threads {
            do {
                let loop = try EventLoop.start(name: "load-\(index)")
                loops.append(loop)
            } catch {
                LoadRun.printError("chat-load: cannot start event loop: \(error)")
                for loop in loops { loop.shutdown() }
                return 1
            }
        }
        for (index, loop) in loops.enumerated() {
            let (config, target, tokens) = (self.config, self.target, self.tokens)
            loop.execute {
                LoadWorker(id: index, loop: loop, config: config, target: target, tokens: tokens, rooms: rooms,
                           control: control, board: board, tag: tag).start()
            }
        }

        let isTTY = isatty(2) == 1
        var nextProgress: UInt64 = start + 1_000_000_000
        var nextSample: UInt64 = .max
        var phase = schedule.phase
        var sendingFrom: Double?
        var sendingTo: Double?
        if phase == .sending {
            sendingFrom = 0
            nextSample = start + sampleNanos
        }
        while phase != .stopped {
            usleep(20_000)
            let now = MonotonicClock.nanoseconds()
            let elapsed = Double(now - start) / 1e9
            let counters = board.counters()
            let next = schedule.advance(now: now, counters: counters, workersDone: board.allDone,
                                        interrupted: interruptRequested.load(ordering: .relaxed))
            if next != phase {
                control.enter(next, at: schedule.sendStart ?? now)
                if next == .sending {
                    sendingFrom = elapsed
                    sample(at: elapsed, generator: true)
                    nextSample = now + sampleNanos
                }
                if next >= .draining && phase < .draining && sendingFrom != nil {
                    sendingTo = elapsed
                    sample(at: elapsed, generator: true)
                }
                phase = next
            }
            if now >= nextSample && phase == .sending {
                sample(at: elapsed, generator: false)
                nextSample = now + sampleNanos
            }
            if now >= nextProgress && !config.quiet {
                let line = ProgressLine.render(elapsed: elapsed, phase: phase, scenario: config.scenario, counters: counters, target: config.connections,
                                               window: board.takeWindow(), node: nodeSamples.last)
                LoadRun.printErrorRaw(isTTY ? "\r" + line + "\u{1B}[K" : line + "\n")
                nextProgress += 1_000_000_000
            }
        }
        if isTTY && !config.quiet { LoadRun.printErrorRaw("\n") }
        let stopped = MonotonicClock.nanoseconds()
        let elapsed = Double(stopped - start) / 1e9
        sample(at: elapsed, generator: true)
        let allDone = board.allDone
        for loop in loops { loop.shutdown() }
        if allDone { for loop in loops { loop.waitUntilFinished() } }

        let summary = RunSummary(
            config: config, target: target, ending: schedule.ending, stats: board.total(),
            sendingSeconds: schedule.sendingSeconds(now: stopped), elapsedSeconds: elapsed,
            node: ResourceSummary(samples: nodeSamples, sendingFrom: sendingFrom, sendingTo: sendingTo ?? elapsed),
            nodeSource: nodeSampler?.sourceName ?? "none",
            generator: ResourceSummary(samples: generatorSamples, sendingFrom: sendingFrom, sendingTo: sendingTo ?? elapsed))
        print(config.json ? summary.json : summary.text)
        switch schedule.ending {
        case .completed: return 0
        case .deadline, .noConnection: return 1
        case .interrupted: return 130
        }
    }

    private var sampleNanos: UInt64 { UInt64(max(0.1, config.sampleSeconds) * 1e9) }

    private mutating func sample(at elapsed: Double, generator: Bool) {
        if let nodeSampler, let sample = nodeSampler.sample(at: elapsed) { nodeSamples.append(sample) }
        if generator, let sample = generatorSampler.sample(at: elapsed) { generatorSamples.append(sample) }
    }
}

extension LoadRun {
    static func printErrorRaw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
