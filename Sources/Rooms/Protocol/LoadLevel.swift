/// The node's load level, as the `mode` event names it (DESIGN.md, "Load and degradation").
public enum LoadLevel: String, Sendable, CaseIterable {
    /// Under 50 %: everything on.
    case normal
    /// From 50 %.
    case elevated
    /// From 85 %: LOW events dropped first.
    case high
    /// From 95 %: optional features off.
    case critical
}

extension LoadLevel: Comparable {
    /// Levels order by severity.
    public static func < (lhs: LoadLevel, rhs: LoadLevel) -> Bool {
        lhs.severity < rhs.severity
    }

    private var severity: Int {
        switch self {
        case .normal: return 0
        case .elevated: return 1
        case .high: return 2
        case .critical: return 3
        }
    }
}

/// A feature that a load level can switch off, as named in the `mode` event's `disabled`.
public enum DegradableFeature: String, Sendable, CaseIterable {
    /// Typing indicators.
    case typing
    /// Presence queries and changes.
    case presence
    /// Read receipts.
    case receipts
    /// Edits (and their history).
    case edits
    /// Uploads.
    case uploads
}
