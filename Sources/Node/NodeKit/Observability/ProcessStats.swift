@preconcurrency import Glibc
import Gateway

/// Memory and CPU of this process from `/proc/self` (Linux), for `stats`, `/health` and
/// `/metrics`. The parsers are pure, so they are tested on sample text; the readers return
/// nil where `/proc` is missing or unreadable.
public enum ProcessStats {
    /// Resident memory in bytes (`VmRSS` of `/proc/self/status`).
    public static func residentBytes() -> Int? {
        read("/proc/self/status").flatMap(parseResidentBytes)
    }

    /// CPU time used, user plus system, in seconds (fields 14 and 15 of `/proc/self/stat`).
    public static func cpuSeconds() -> Double? {
        guard let text = read("/proc/self/stat"), let ticks = parseCPUTicks(text) else { return nil }
        let perSecond = sysconf(Int32(_SC_CLK_TCK))
        guard perSecond > 0 else { return nil }
        return Double(ticks) / Double(perSecond)
    }

    /// CPU seconds of each event-loop thread of this process (the threads named
    /// `gateway-loop-N`), by loop number, in loop order; empty where `/proc` is unreadable.
    /// Threads of one number (several nodes in one test process) are summed.
    public static func loopThreadCPUSeconds() -> [(loop: Int, seconds: Double)] {
        let perSecond = sysconf(Int32(_SC_CLK_TCK))
        guard perSecond > 0, let directory = opendir("/proc/self/task") else { return [] }
        defer { closedir(directory) }
        var found: [Int: Double] = [:]
        while let entry = readdir(directory) {
            let tid = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let first = tid.first, first.isNumber,
                  let comm = read("/proc/self/task/\(tid)/comm"),
                  let loop = parseLoopNumber(comm),
                  let stat = read("/proc/self/task/\(tid)/stat"), let ticks = parseCPUTicks(stat) else { continue }
            found[loop, default: 0] += Double(ticks) / Double(perSecond)
        }
        return found.sorted { $0.key < $1.key }.map { (loop: $0.key, seconds: $0.value) }
    }

    /// `gateway-loop-3\n` → 3; nil for any other thread name.
    public static func parseLoopNumber(_ comm: String) -> Int? {
        let name = comm.prefix { $0 != "\n" && $0 != "\r" && $0 != " " }
        guard name.hasPrefix("gateway-loop-") else { return nil }
        return Int(name.dropFirst("gateway-loop-".count)).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Open file descriptors (entries of `/proc/self/fd`).
    public static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(0, count - 2)  // "." and ".."
    }

    /// `VmRSS:\t   12345 kB` → 12345 × 1024.
    public static func parseResidentBytes(_ status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = fields.first.flatMap({ Int($0) }), value >= 0, value < Int.max / 1024 else { return nil }
            let unit = fields.dropFirst().first.map { $0.lowercased() } ?? "kb"
            return unit == "kb" ? value * 1024 : value
        }
        return nil
    }

    /// utime + stime in clock ticks from the text of `/proc/PID/stat`. The command name
    /// (field 2) is in parentheses and may hold spaces and parentheses itself, so fields
    /// are counted after its last `)`: field 3 is the first after it, utime is field 14.
    public static func parseCPUTicks(_ stat: String) -> Int? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]),
              user >= 0, system >= 0, user <= Int.max - system else { return nil }
        return user + system
    }

    /// A small text file read whole (`/proc` files report size 0, so no stat).
    static func read(_ path: String) -> String? {
        guard let fd = try? Syscall.run("open", { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let result = try? chunk.withUnsafeMutableBytes { raw throws(SystemError) in
                try Syscall.io("read") { Glibc.read(fd, raw.baseAddress, raw.count) }
            }
            guard case .done(let count)? = result, count > 0, count <= chunk.count else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
