extension JSONWriter {
    /// Writes `"key":"value"` (escaped).
    public mutating func field(_ key: StaticString, _ value: String) {
        self.key(key)
        string(value)
    }

    /// Writes `"key":123`.
    public mutating func field<Integer: BinaryInteger>(_ key: StaticString, _ value: Integer) {
        self.key(key)
        integer(value)
    }

    /// Writes `"key":true` or `"key":false`.
    public mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    /// Writes `"key":null`.
    public mutating func nullField(_ key: StaticString) {
        self.key(key)
        null()
    }

    /// Writes `"key":"123"`: a message id as a decimal string.
    public mutating func idField(_ key: StaticString, _ id: UInt64) {
        self.key(key)
        decimalString(id)
    }

    /// Writes `"key":` followed by bytes that already are one JSON value.
    public mutating func rawField<Bytes: Sequence>(_ key: StaticString, _ json: Bytes) where Bytes.Element == UInt8 {
        self.key(key)
        raw(json)
    }

    /// Writes `"key":[1,2,3]`.
    public mutating func integerArrayField<Integer: BinaryInteger>(_ key: StaticString, _ values: [Integer]) {
        self.key(key)
        beginArray()
        for value in values { integer(value) }
        endArray()
    }
}
