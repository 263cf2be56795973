/// Number formatting without Foundation's `String(format:)` (which drags in ICU data).
enum Format {
    /// `value` with exactly `decimals` digits after the point (`fixed(1.5, 3)` = "1.500").
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return String(Int64(value.rounded())) }
        let whole = UInt64(scaled)
        let factor = UInt64(scale)
        let sign = value < 0 && whole != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        var fraction = String(whole % factor)
        while fraction.count < decimals { fraction = "0" + fraction }
        return sign + String(whole / factor) + "." + fraction
    }

    /// A rate with one decimal and thousands separators: 12,345.6.
    static func rate(_ value: Double) -> String {
        let text = fixed(value, 1)
        guard let point = text.firstIndex(of: "."), let whole = Int64(text[..<point]) else { return text }
        return grouped(whole) + text[point...]
    }

    /// Nanoseconds as milliseconds with 3 decimals.
    static func ms(_ nanos: UInt64) -> String { fixed(Double(nanos) / 1e6, 3) }

    /// An integer with thousands separators: 1,234,567.
    static func grouped<Integer: BinaryInteger>(_ value: Integer) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// Bytes as megabytes (10^6) with one decimal.
    static func megabytes(_ bytes: UInt64) -> String { fixed(Double(bytes) / 1e6, 1) + " MB" }

    /// Left-pads `text` to `width`.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
