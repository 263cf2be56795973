/// Where an actor lives in the supervision tree, e.g. `/node/rooms/42`.
public struct ActorPath: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Path components from the root, e.g. `["node", "rooms", "42"]`.
    public let components: [String]

    /// A path from its components.
    public init(components: [String]) {
        self.components = components
    }

    /// Parses `/a/b/c`; nil for an empty path, an empty component or one over 128 bytes.
    public init?(_ text: String) {
        guard text.hasPrefix("/"), text.utf8.count <= 1024 else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 128 }) else { return nil }
        self.components = parts.map(String.init)
    }

    /// The root path of a node: `/node`.
    public static let node = ActorPath(components: ["node"])

    /// The last component (the child id).
    public var name: String { components.last ?? "" }

    /// The parent's path, nil for a root.
    public var parent: ActorPath? {
        components.count > 1 ? ActorPath(components: Array(components.dropLast())) : nil
    }

    /// The path of a child named `id`.
    public func appending(_ id: String) -> ActorPath {
        ActorPath(components: components + [id])
    }

    /// True when `self` is `other` or below it.
    public func isDescendant(of other: ActorPath) -> Bool {
        components.count >= other.components.count
            && Array(components.prefix(other.components.count)) == other.components
    }

    public var description: String { "/" + components.joined(separator: "/") }

    public static func < (lhs: ActorPath, rhs: ActorPath) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let path = ActorPath(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad actor path"))
        }
        self = path
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
