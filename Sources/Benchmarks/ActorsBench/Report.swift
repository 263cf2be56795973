/// Plain-text formatting for the benchmark table (no Foundation `String(format:)`).
enum Report {
    /// `1234567` as `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, char) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(char)
        }
        return value < 0 ? "-" + out : out
    }

    /// `value` with `places` decimals.
    static func fixed(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        if places == 0 { return String(whole) }
        return "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// Seconds of a duration as a double.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Microseconds of a duration as a double.
    static func micros(_ duration: Duration) -> Double { seconds(duration) * 1e6 }

    /// `text` padded with spaces to `width` (left-aligned, or right-aligned with `right`).
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
