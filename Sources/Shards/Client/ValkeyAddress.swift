/// A Valkey server's address: `host:port`, as `VALKEY_HOSTS`, `CLUSTER SLOTS` and
/// `-MOVED 3999 127.0.0.1:6381` give it.
public struct ValkeyAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IPv4 address (the links connect to IPv4 dotted quads).
    public var host: String
    /// TCP port.
    public var port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (the last colon splits, `[v6]:port` loses its brackets); the host
    /// may be empty (a redirect's "same host as the node that answered"). Nil for anything
    /// else, including a port outside 1...65535.
    public init?(_ text: some StringProtocol) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = Substring(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 { host = host.dropFirst().dropLast() }
        self.host = String(host)
        self.port = port
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }
}
