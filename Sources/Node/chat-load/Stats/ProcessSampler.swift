@preconcurrency import Glibc
import Foundation

/// CPU time and resident memory of a process at one moment.
struct ProcessSample: Sendable, Equatable {
    /// Seconds since the run started.
    var at: Double
    /// User + system CPU seconds since the process started.
    var cpuSeconds: Double
    var rssBytes: UInt64
}

/// Reads a process's CPU and RSS: from /proc when it runs here, else from the node's
/// Prometheus-style `/metrics` (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`).
final class ProcessSampler {
    enum Source {
        case proc(pid: Int32)
        case metrics(HTTPFetcher, path: String)
    }

    let source: Source
    /// Whether the last sample worked (a node without /metrics is reported as such).
    private(set) var available = false
    /// Failed attempts while no attempt ever worked: after the first, stop asking (a peer
    /// without /metrics should not cost a request, or a timeout, per sample).
    private var failuresWithoutSuccess = 0
    private var everWorked = false

    init(source: Source) {
        self.source = source
    }

    /// The name of the source in the summary.
    var sourceName: String {
        switch source {
        case .proc: return "proc"
        case .metrics: return "metrics"
        }
    }

    func sample(at: Double) -> ProcessSample? {
        guard everWorked || failuresWithoutSuccess < 1 else { return nil }
        let result: (Double, UInt64)?
        switch source {
        case .proc(let pid): result = Self.proc(pid: pid)
        case .metrics(let fetcher, let path): result = Self.metrics(fetcher, path: path)
        }
        available = result != nil
        if available { everWorked = true } else if !everWorked { failuresWithoutSuccess += 1 }
        return result.map { ProcessSample(at: at, cpuSeconds: $0.0, rssBytes: $0.1) }
    }

    // MARK: - /proc

    /// utime + stime of /proc/PID/stat (fields 14 and 15, counted after the parenthesised
    /// command name, which may itself hold spaces) and VmRSS of /proc/PID/status.
    static func proc(pid: Int32) -> (Double, UInt64)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state(3) ppid(4) ... utime(14) stime(15): indices 11 and 12 here.
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss: UInt64 = 0
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { UInt64($0) } ?? 0
            rss = number * 1_024
        }
        return (Double(user + system) / max(1, ticks), rss)
    }

    // MARK: - /metrics

    static func metrics(_ fetcher: HTTPFetcher, path: String) -> (Double, UInt64)? {
        guard let (status, body) = fetcher.get(path), status == 200 else { return nil }
        var cpu: Double?
        var rss: UInt64?
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { continue }
            let name = parts[0].split(separator: "{").first.map(String.init) ?? ""
            if name == "process_cpu_seconds_total" { cpu = Double(parts[1]) }
            if name == "process_resident_memory_bytes" { rss = Double(parts[1]).map { UInt64(max(0, $0)) } }
        }
        guard let cpu, let rss else { return nil }
        return (cpu, rss)
    }
}
