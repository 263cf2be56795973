/// The chat layer: room actors, the protocol's commands and events, JWT, rate limits.
public enum RoomsModule {
    /// The only protocol version served.
    public static let version = 1
}
