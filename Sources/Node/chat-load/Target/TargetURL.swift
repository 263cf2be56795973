import Foundation
@preconcurrency import Glibc

/// A `ws://` or `http://` URL reduced to what a plain TCP client needs, with the host
/// resolved to one IPv4 address.
///
/// Only IPv4 and plain text: the generator targets a node on loopback (or, with
/// `--allow-remote`, a node reachable without TLS); `wss://` goes through a proxy's
/// plain-text port instead.
struct TargetURL: Sendable, Equatable {
    /// `ws` or `http`.
    var scheme: String
    /// The host as written (for the `Host` header).
    var host: String
    /// The resolved IPv4 address, dotted quad.
    var address: String
    var port: Int
    /// Path and query, at least `/`.
    var pathAndQuery: String

    /// `Host` header value.
    var hostHeader: String {
        let defaultPort = scheme == "ws" || scheme == "http" ? 80 : 443
        return port == defaultPort ? host : "\(host):\(port)"
    }

    /// Whether the resolved address is in 127.0.0.0/8.
    var isLoopback: Bool { address.hasPrefix("127.") }

    /// Parses and resolves `text`; `schemes` lists the accepted schemes.
    static func parse(_ text: String, schemes: [String]) throws(LoadArgumentError) -> TargetURL {
        guard let separator = text.range(of: "://") else { throw LoadArgumentError(message: "not a URL: \"\(text)\"") }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            throw LoadArgumentError(message: "\"\(text)\": scheme must be \(schemes.joined(separator: " or "))")
        }
        let rest = text[separator.upperBound...]
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        var pathAndQuery = String(rest[slash...])
        if pathAndQuery.isEmpty { pathAndQuery = "/" }
        if pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw LoadArgumentError(message: "\"\(text)\": no host")
        }
        if authority.hasPrefix("[") { throw LoadArgumentError(message: "\"\(text)\": IPv6 targets are not supported") }
        var host = String(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(number) else {
                throw LoadArgumentError(message: "\"\(text)\": bad port")
            }
            port = number
        }
        guard let address = resolve(host) else { throw LoadArgumentError(message: "\"\(text)\": cannot resolve \(host) to IPv4") }
        return TargetURL(scheme: scheme, host: host, address: address, port: port, pathAndQuery: pathAndQuery)
    }

    /// The first IPv4 address of `host` (a dotted quad stays as it is).
    static func resolve(_ host: String) -> String? {
        if host == "localhost" { return "127.0.0.1" }
        var probe = in_addr()
        if inet_pton(AF_INET, host, &probe) == 1 { return host }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let sockaddrPointer = first.pointee.ai_addr else { return nil }
        var address = sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &address, &buffer, socklen_t(INET_ADDRSTRLEN)) != nil else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Refuses a target outside loopback unless allowed: the generator can flood a
    /// network, so pointing it elsewhere must be a deliberate act.
    func requireLoopback(allowRemote: Bool, flag: String) throws(LoadArgumentError) {
        guard !isLoopback && !allowRemote else { return }
        throw LoadArgumentError(
            message: "refusing \(flag) \(scheme)://\(hostHeader): \(address) is not a loopback address (add --allow-remote to load a remote node)")
    }
}
