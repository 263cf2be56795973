/// Why a child's run loop ended, in OTP's words.
///
/// - `normal`: the run loop returned by itself. A transient child is not restarted;
///   a permanent child is (in OTP a permanent child is always restarted).
/// - `shutdown`: its supervisor stopped it (cancellation). Never restarted.
/// - `failure`: the run loop threw. Restarted unless the child is temporary.
/// - `killed`: an operator killed it through the control socket (`exit(Pid, kill)` in OTP).
///   Treated as a failure.
public enum ExitReason: Sendable, Equatable, CustomStringConvertible {
    case normal
    case shutdown
    case failure(String)
    case killed

    /// True for exits that a transient child is restarted after.
    public var isAbnormal: Bool {
        switch self {
        case .normal, .shutdown: return false
        case .failure, .killed: return true
        }
    }

    public var description: String {
        switch self {
        case .normal: return "normal"
        case .shutdown: return "shutdown"
        case .failure(let why): return "failure: \(why)"
        case .killed: return "killed"
        }
    }
}
