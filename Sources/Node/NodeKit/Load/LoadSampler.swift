import Foundation

/// One reading of the node's load: each ratio in 0...1+ of its limit.
public struct LoadSample: Sendable, Equatable {
    /// CPU time used against the CPU quota over the last interval.
    public var cpu: Double
    /// Memory in use against the memory limit.
    public var memory: Double
    /// Open connections against `MAX_CONNECTIONS`.
    public var connections: Double

    /// A sample.
    public init(cpu: Double, memory: Double, connections: Double) {
        self.cpu = cpu
        self.memory = memory
        self.connections = connections
    }

    /// The load: the largest of the three ratios.
    public var load: Double { max(cpu, memory, connections) }
}

/// Where samples come from: the process (`ProcessLoadSampler`) or a script (tests).
public protocol LoadSampler: Sendable {
    /// Reads the current load; `connections` and `maxConnections` come from the gateway.
    mutating func sample(connections: Int, maxConnections: Int) -> LoadSample
}

/// Samples this process: memory against the cgroup limit (`memory.max`, else
/// `MEMORY_LIMIT_MB`), and CPU as the larger of two ratios:
///
/// - the process against its quota: cgroup v2 `cpu.max`, else as many cores as it has
///   event loops (`GATEWAY_LOOPS`, at most the CPUs online): the loops are what can use a
///   core each;
/// - its busiest event loop against one core: loop 0 runs the chat service, and a
///   saturated loop is a saturated node even while the others idle.
public struct ProcessLoadSampler: LoadSampler {
    private let memoryLimitBytes: Double
    private let cgroup: String
    private let loops: Int
    private var lastCPUSeconds: Double?
    private var lastLoopSeconds: [Int: Double] = [:]
    private var lastWall: Double?

    /// A sampler; `memoryLimitMB` applies when no cgroup limit is found, `loops` when no
    /// CPU quota is.
    public init(memoryLimitMB: Int, loops: Int = 1, cgroupRoot: String = "/sys/fs/cgroup") {
        self.cgroup = cgroupRoot
        self.loops = max(1, loops)
        let fallback = Double(memoryLimitMB) * 1024 * 1024
        if let text = try? String(contentsOfFile: cgroupRoot + "/memory.max", encoding: .utf8),
           let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes > 0
        {
            memoryLimitBytes = bytes
        } else {
            memoryLimitBytes = fallback
        }
    }

    /// CPU cores the process may use: `cpu.max` quota/period, else `fallback`.
    public static func cpuQuota(cgroupRoot: String, fallback: Double = 1) -> Double {
        guard let text = try? String(contentsOfFile: cgroupRoot + "/cpu.max", encoding: .utf8) else { return fallback }
        let parts = text.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1]), period > 0 else { return fallback }
        return max(0.01, quota / period)
    }

    /// The CPU ratio of an interval of `wallSeconds`: process seconds against `quota`
    /// cores, or the busiest loop's seconds against one core, whichever is larger. Pure.
    public static func cpuRatio(processSeconds: Double, loopSeconds: [Double], wallSeconds: Double, quota: Double) -> Double {
        guard wallSeconds > 0, quota > 0 else { return 0 }
        let busiestLoop = loopSeconds.max() ?? 0
        return max(0, processSeconds / (wallSeconds * quota), busiestLoop / wallSeconds)
    }

    public mutating func sample(connections: Int, maxConnections: Int) -> LoadSample {
        let wall = Date().timeIntervalSince1970
        let cpuSeconds = Self.processCPUSeconds()
        let loopSeconds = Dictionary(ProcessStats.loopThreadCPUSeconds().map { ($0.loop, $0.seconds) }) { $1 }
        var cpu = 0.0
        if let lastCPUSeconds, let lastWall, wall > lastWall {
            let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let quota = Self.cpuQuota(cgroupRoot: cgroup, fallback: Double(min(loops, online)))
            let loopDeltas = loopSeconds.compactMap { loop, seconds in lastLoopSeconds[loop].map { seconds - $0 } }
            cpu = Self.cpuRatio(processSeconds: cpuSeconds - lastCPUSeconds, loopSeconds: loopDeltas,
                                wallSeconds: wall - lastWall, quota: quota)
        }
        lastCPUSeconds = cpuSeconds
        lastLoopSeconds = loopSeconds
        lastWall = wall
        let memory = memoryLimitBytes > 0 ? Double(Self.residentBytes()) / memoryLimitBytes : 0
        let connectionRatio = maxConnections > 0 ? Double(connections) / Double(maxConnections) : 0
        return LoadSample(cpu: max(0, cpu), memory: memory, connections: connectionRatio)
    }

    /// User + system CPU seconds of this process (/proc/self/stat fields 14 and 15).
    public static func processCPUSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ticks > 0 ? (user + system) / ticks : 0
    }

    /// Resident memory of this process in bytes (VmRSS).
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return number * 1024
        }
        return 0
    }
}
