/// Errors of the supervision runtime.
public enum SupervisorError: Error, Equatable, CustomStringConvertible {
    /// More restarts than the intensity allows: the supervisor stopped its children and gave up.
    case reachedMaxRestartIntensity(path: String, lastFailure: String)
    /// No child with that id.
    case noSuchChild(String)
    /// A child with that id exists already.
    case alreadyPresent(String)
    /// The child is running (e.g. `deleteChild` or `restartChild` of a running child).
    case running(String)
    /// The supervisor is not running.
    case notRunning(String)

    public var description: String {
        switch self {
        case .reachedMaxRestartIntensity(let path, let last):
            return "\(path) reached max restart intensity (last failure: \(last))"
        case .noSuchChild(let id): return "no child \(id)"
        case .alreadyPresent(let id): return "child \(id) already present"
        case .running(let id): return "child \(id) is running"
        case .notRunning(let path): return "supervisor \(path) is not running"
        }
    }
}
