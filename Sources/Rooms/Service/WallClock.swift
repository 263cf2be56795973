@preconcurrency import Glibc

/// Wall-clock milliseconds since the Unix epoch (message timestamps, ids, expiries).
public enum WallClock {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z.
    public static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
