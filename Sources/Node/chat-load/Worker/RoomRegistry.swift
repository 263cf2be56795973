import Gateway
import Synchronization

/// Which connections of this run are in which room, shared by all loops, and the stamps
/// that make `expected` and `delivered` count the same pairs.
///
/// A send and a join each take one stamp under the lock: the monotonic clock, bumped to
/// stay strictly increasing. So stamps order every join and send of the run. A sender
/// counts as recipients the room's members at its stamp; a receiver counts a message as
/// delivered only when it joined before the message's stamp (the stamp travels in the
/// text). A connection whose `joined` arrived before the send was made is surely a member
/// when the node handles the send; one whose join was still in flight may or may not get
/// the message, and such a message is counted as *extra*, not as delivered.
///
/// One lock per send and per join: cheap at the rates a node sustains (the lock is
/// uncontended with one loop, and held for a handful of instructions).
final class RoomRegistry: Sendable {
    private struct State {
        var members: [UInt32: Int] = [:]
        var lastStamp: UInt64 = 0

        mutating func stamp() -> UInt64 {
            let now = MonotonicClock.nanoseconds()
            lastStamp = now > lastStamp ? now : lastStamp &+ 1
            return lastStamp
        }
    }

    private let state = Mutex(State())

    /// A connection's `joined` arrived: returns its join stamp.
    func join(_ room: UInt32) -> UInt64 {
        state.withLock { state in
            state.members[room, default: 0] += 1
            return state.stamp()
        }
    }

    /// A joined connection closed.
    func leave(_ room: UInt32) {
        state.withLock { state in
            let remaining = (state.members[room] ?? 1) - 1
            state.members[room] = remaining > 0 ? remaining : nil
        }
    }

    /// A send into `room`: its stamp, and how many other members of this run should get it.
    func send(_ room: UInt32) -> (stamp: UInt64, recipients: Int) {
        state.withLock { state in
            let members = state.members[room] ?? 0
            return (state.stamp(), max(0, members - 1))
        }
    }
}
