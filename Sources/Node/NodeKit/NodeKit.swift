/// The node's wiring: configuration, supervision tree, load monitor, control socket.
public enum NodeKit {
    /// Name of the server executable.
    public static let serverName = "chat-node"
}
