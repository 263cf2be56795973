extension JSONValue {
    /// The number of elements of an array or members of an object, else `0`.
    public var count: Int {
        let node = document.nodes[index]
        return node.tag == .array || node.tag == .object ? Int(node.length) : 0
    }

    /// The member `key` of an object, or `nil` when absent or when the value is not an
    /// object. With duplicate keys, the last one wins.
    public subscript(key: StaticString) -> JSONValue? {
        guard document.nodes[index].tag == .object else { return nil }
        var found: Int?
        var keyIndex = index + 1
        let end = document.end(of: index)
        while keyIndex < end {
            let valueIndex = keyIndex + 1
            if bytesEqual(document.nodes[keyIndex], key) { found = valueIndex }
            keyIndex = document.end(of: valueIndex)
        }
        return found.map { JSONValue(document: document, index: $0) }
    }

    /// The elements of an array in order (empty for any other value).
    public var elements: Elements { Elements(value: self) }

    /// The members of an object in document order, duplicates included (empty for any other
    /// value).
    public var members: Members { Members(value: self) }

    /// The elements of an array, walked along the tape without allocating.
    public struct Elements: Sequence, Sendable {
        let value: JSONValue

        /// An iterator over the elements.
        public func makeIterator() -> Iterator { Iterator(children: ChildNodes(of: value, if: .array)) }

        /// Walks the elements of an array.
        public struct Iterator: IteratorProtocol, Sendable {
            var children: ChildNodes

            /// The next element, or `nil` past the last.
            public mutating func next() -> JSONValue? { children.next() }
        }
    }

    /// The members of an object, as (key, value) pairs.
    public struct Members: Sequence, Sendable {
        let value: JSONValue

        /// An iterator over the members.
        public func makeIterator() -> Iterator { Iterator(children: ChildNodes(of: value, if: .object)) }

        /// Walks the members of an object.
        public struct Iterator: IteratorProtocol, Sendable {
            var children: ChildNodes

            /// The next member, or `nil` past the last.
            public mutating func next() -> (key: String, value: JSONValue)? {
                // On the tape an object's children are key, value, key, value, ...
                guard let key = children.next(), let value = children.next() else { return nil }
                return (key.string ?? "", value)
            }
        }
    }

    /// The nodes directly under a container, in tape order (nothing for other values).
    struct ChildNodes: Sendable {
        let document: JSONDocument
        var position: Int
        let end: Int

        init(of value: JSONValue, if tag: JSONNode.Tag) {
            document = value.document
            position = value.index + 1
            end = value.document.nodes[value.index].tag == tag ? value.document.end(of: value.index) : 0
        }

        mutating func next() -> JSONValue? {
            guard position < end else { return nil }
            let current = position
            position = document.end(of: current)
            return JSONValue(document: document, index: current)
        }
    }
}
