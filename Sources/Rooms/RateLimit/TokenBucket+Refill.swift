// MARK: Refill arithmetic (saturating: no clock value can trap it)

extension TokenBucket {
    /// Units per ms at full rate.
    private var fullRate: Int64 { Int64(configuration.perMinute).multipliedSaturated(by: 2) }
    /// Units per ms while penalised.
    private var halfRate: Int64 { Int64(configuration.perMinute) }
    private var capacity: Int64 { Int64(configuration.burst) &* Self.unitsPerToken }

    /// Brings the bucket to `now`; a clock that went back refills nothing.
    mutating func refill(now: Int64) {
        guard now > updatedAt else { return }
        units = units(at: now)
        updatedAt = now
    }

    /// The units the bucket holds at `now`: half rate up to the penalty's end, full after.
    func units(at now: Int64) -> Int64 {
        guard now > updatedAt else { return units }
        let halfEnd = min(now, max(updatedAt, penaltyUntil))
        let gained = halfEnd.subtractingSaturated(updatedAt).multipliedSaturated(by: halfRate)
            .addingSaturated(now.subtractingSaturated(halfEnd).multipliedSaturated(by: fullRate))
        return min(capacity, units.addingSaturated(gained))
    }

    /// Milliseconds from `now` until one whole token is there, penalty included.
    func retryAfter(now: Int64) -> Int64 {
        var need = Self.unitsPerToken - units
        var wait = max(0, updatedAt.subtractingSaturated(now))
        if penaltyUntil > updatedAt {
            let span = penaltyUntil.subtractingSaturated(updatedAt)
            let gain = span.multipliedSaturated(by: halfRate)
            if gain >= need { return wait.addingSaturated(ceilingDivide(need, by: halfRate)) }
            need -= gain
            wait = wait.addingSaturated(span)
        }
        return wait.addingSaturated(ceilingDivide(need, by: fullRate))
    }

    private func ceilingDivide(_ value: Int64, by divisor: Int64) -> Int64 {
        value / divisor + (value % divisor == 0 ? 0 : 1)
    }
}

extension Int64 {
    /// `self + other`, clamped to the type's range.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : result
    }

    /// `self - other`, clamped to the type's range.
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : result
    }

    /// `self * other` for non-negative operands, clamped to `.max`.
    func multipliedSaturated(by other: Int64) -> Int64 {
        let (result, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : result
    }
}
