/// The gateway layer: epoll event loop, sockets, HTTP/1.1, WebSocket (RFC 6455, RFC 7692), TLS,
/// write queues with byte budgets. Only `System/` touches the kernel directly.
public enum GatewayModule {
    /// Version of the wire protocol this gateway serves.
    public static let protocolVersion = "chat.v1"
}
