import Gateway

/// What the chat service knows about one open WebSocket. Loop-bound: only touched on the
/// loop thread (hence `@unchecked Sendable`, so closures run on the loop may capture it).
final class ClientSession: @unchecked Sendable {
    let connection: ConnectionID
    let claims: JWTClaims
    /// Switched on by the first binary frame the client sends.
    var binary = false
    /// Rooms this connection has joined (subscribed to).
    var rooms: Set<UInt32> = []
    /// Users whose presence changes this connection is told of.
    var watching: Set<UInt32> = []
    /// Its tier (budget class), kept by the tier sweep.
    var tier = ConnectionTier.lurker
    /// Last command of any kind, and last message written.
    var lastActivityMs: Int64 = 0
    var lastSentMs: Int64?

    var user: UInt32 { claims.userID }

    init(connection: ConnectionID, claims: JWTClaims) {
        self.connection = connection
        self.claims = claims
    }
}
