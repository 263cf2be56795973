extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for bodies with typed throws: the standard library's version
    /// rethrows untyped errors, which would erase `WebSocketError`.
    func withBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws(WebSocketError) -> Result
    ) throws(WebSocketError) -> Result {
        let outcome = withUnsafeBytes { raw in
            Swift.Result { () throws(WebSocketError) -> Result in try body(raw) }
        }
        return try outcome.get()
    }
}
