import Gateway

/// Frames for the subscribers of a room: one JSON message for the JSON connections and,
/// when the event has a binary form, one binary message for the binary connections. Built
/// once per event, whatever the number of recipients.
public struct Delivery: Sendable {
    /// The JSON frame.
    public var json: OutboundMessage
    /// Connections that get `json`.
    public var jsonRecipients: [ConnectionID]
    /// The binary frame, when the event has one.
    public var binary: OutboundMessage?
    /// Connections that get `binary` (or `json` when there is no binary form).
    public var binaryRecipients: [ConnectionID]

    /// Hands the frames to the gateway.
    public func deliver(on gateway: isolated Gateway) {
        gateway.broadcast(json, to: jsonRecipients)
        if !binaryRecipients.isEmpty { gateway.broadcast(binary ?? json, to: binaryRecipients) }
    }

    /// Number of recipients.
    public var count: Int { jsonRecipients.count + binaryRecipients.count }
}
