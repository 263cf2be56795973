import Actors
import Shards

// MARK: - Members, DM links and chat lists

extension ValkeyChatStore {
    public func join(room: UInt32, user: UInt32, completion: @escaping Completion<Int>) {
        both({ done in
            var encoder = RESPEncoder(reservingCapacity: 96)
            let members = Keyspace.roomMembers(room)
            encoder.command("SADD", members, user)
            encoder.command("SCARD", members)
            send(.room(room), encoder, count: 2, completion: done) { replies throws(StoreError) in
                _ = try replies[0].storeInteger("SADD")
                return Int(clamping: try replies[1].storeInteger("SCARD"))
            }
        }, { done in
            setMembership("SADD", Keyspace.userRooms(user), room, route: .user(user), completion: done)
        }, completion: completion)
    }

    public func leave(room: UInt32, user: UInt32, completion: @escaping Completion<Int>) {
        both({ done in
            var encoder = RESPEncoder(reservingCapacity: 96)
            let members = Keyspace.roomMembers(room)
            encoder.command("SREM", members, user)
            encoder.command("SCARD", members)
            send(.room(room), encoder, count: 2, completion: done) { replies throws(StoreError) in
                _ = try replies[0].storeInteger("SREM")
                return Int(clamping: try replies[1].storeInteger("SCARD"))
            }
        }, { done in
            setMembership("SREM", Keyspace.userRooms(user), room, route: .user(user), completion: done)
        }, completion: completion)
    }

    public func memberCount(room: UInt32, completion: @escaping Completion<Int>) {
        var encoder = RESPEncoder(reservingCapacity: 64)
        encoder.command("SCARD", Keyspace.roomMembers(room))
        send(.room(room), encoder, count: 1, completion: completion) { replies throws(StoreError) in
            Int(clamping: try replies[0].storeInteger("SCARD"))
        }
    }

    public func isMember(room: UInt32, user: UInt32, completion: @escaping Completion<Bool>) {
        var encoder = RESPEncoder(reservingCapacity: 80)
        encoder.command("SISMEMBER", Keyspace.roomMembers(room), user)
        send(.room(room), encoder, count: 1, completion: completion) { replies throws(StoreError) in
            try replies[0].storeInteger("SISMEMBER") == 1
        }
    }

    /// `user:{A}:dms` gets B and `user:{B}:dms` gets A: two batches, as the two users'
    /// keys may live in different slots (Valkey Cluster).
    public func linkDM(_ a: UInt32, _ b: UInt32, completion: @escaping Completion<Void>) {
        both({ done in
            setMembership("SADD", Keyspace.userDirectMessages(a), b, route: .user(a), completion: done)
        }, { done in
            setMembership("SADD", Keyspace.userDirectMessages(b), a, route: .user(b), completion: done)
        }, completion: completion)
    }

    /// Both sets of the user in one batch (same hash tag `{U}`); members that are not
    /// canonical decimal ids are skipped and logged.
    public func chats(of user: UInt32, completion: @escaping Completion<UserChats>) {
        var encoder = RESPEncoder(reservingCapacity: 96)
        encoder.command("SMEMBERS", Keyspace.userRooms(user))
        encoder.command("SMEMBERS", Keyspace.userDirectMessages(user))
        send(.user(user), encoder, count: 2, completion: completion) { replies throws(StoreError) in
            let rooms = try replies[0].storeBulkStrings("SMEMBERS")
            let peers = try replies[1].storeBulkStrings("SMEMBERS")
            return UserChats(rooms: Self.userIDs(rooms, of: user), dmPeers: Self.userIDs(peers, of: user))
        }
    }

    /// One SADD or SREM of `member` into `key`.
    private func setMembership(_ command: StaticString, _ key: [UInt8], _ member: UInt32, route: ShardKey,
                               completion: @escaping Completion<Void>) {
        var encoder = RESPEncoder(reservingCapacity: 64)
        encoder.command(String(describing: command), key, member)
        send(route, encoder, count: 1, completion: completion) { replies throws(StoreError) in
            _ = try replies[0].storeInteger(command)
        }
    }

    /// Sorted ids of a set's members, skipping (and logging) what is not an id.
    private static func userIDs(_ members: [[UInt8]], of user: UInt32) -> [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(members.count)
        for member in members {
            if let id = StoredDecimal.parse(member, limit: UInt64(UInt32.max)) {
                ids.append(UInt32(truncatingIfNeeded: id))
            } else {
                Log.warn("store.corrupt", ["user": String(user), "error": "set member is not an id"])
            }
        }
        return ids.sorted()
    }
}
