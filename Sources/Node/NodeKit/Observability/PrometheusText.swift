import Actors

/// Writes the Prometheus text exposition format, version 0.0.4: per family a `# HELP`
/// and a `# TYPE` line, then its samples, `name{label="value",...} number`.
///
/// Label values escape `\`, `"` and newlines; help texts escape `\` and newlines; numbers
/// are written as Go's `ParseFloat` reads them (`+Inf`, `-Inf`, `NaN`).
public struct PrometheusText: Sendable {
    /// Metric types used here.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// The content type of the format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Adds a family with its samples (label pairs in order, value).
    public mutating func family(_ name: String, _ kind: Kind, _ help: String, _ samples: [([(String, String)], Double)]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for (labels, value) in samples {
            text += name + Self.labels(labels) + " " + Self.number(value) + "\n"
        }
    }

    /// Adds a histogram family: per labelled histogram its cumulative `_bucket` series
    /// (`le` the bound in the base unit, then `+Inf`), `_sum` (base unit) and `_count`.
    public mutating func histogram(_ name: String, _ help: String, _ series: [([(String, String)], HistogramSnapshot)]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) histogram\n"
        for (labels, snapshot) in series {
            let cumulative = snapshot.cumulative
            let bounds = snapshot.boundsInBaseUnit.map(Self.number) + ["+Inf"]
            for (bound, count) in zip(bounds, cumulative) {
                text += name + "_bucket" + Self.labels(labels + [("le", bound)]) + " " + String(count) + "\n"
            }
            text += name + "_sum" + Self.labels(labels) + " " + Self.number(snapshot.sumInBaseUnit) + "\n"
            text += name + "_count" + Self.labels(labels) + " " + String(snapshot.count) + "\n"
        }
    }

    /// A family of one unlabelled sample.
    public mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help, [([], value)])
    }

    /// A family of one unlabelled integer sample.
    public mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Int) {
        family(name, kind, help, [([], Double(value))])
    }

    /// `{k="v",...}`, or nothing without labels.
    static func labels(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
