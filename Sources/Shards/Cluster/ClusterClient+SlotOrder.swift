// MARK: - Order per slot (on the loop)

extension ClusterClient {
    /// Whether a new batch of `slot` may go to node `target` now without overtaking one.
    @inline(__always)
    func maySend(_ slot: Int, to target: Int) -> Bool {
        if !flights.isEmpty, let flight = flights[slot] { return flight.held.isEmpty && flight.mayOvertakeNothing(to: target) }
        return plainCount[slot] == 0 || plainNode[slot] == Int32(target)
    }

    /// Counts a batch of `slot` sent to node `target`.
    @inline(__always)
    func noteSent(_ slot: Int, to target: Int) {
        if !flights.isEmpty, flights[slot] != nil {
            flights[slot]?.add(target)
        } else if plainCount[slot] == 0 || plainNode[slot] == Int32(target) {
            plainCount[slot] += 1
            plainNode[slot] = Int32(target)
        } else {
            watch(slot)
            flights[slot]?.add(target)
        }
    }

    /// Uncounts a batch of `slot` that was in flight to node `target`.
    @inline(__always)
    func noteDone(_ slot: Int, at target: Int) {
        if !flights.isEmpty, flights[slot] != nil {
            flights[slot]?.remove(target)
        } else if plainCount[slot] > 0 {
            plainCount[slot] -= 1
        }
    }

    /// Gives the slot a `SlotFlight` (made from its plain count) if it had none.
    func watch(_ slot: Int) {
        guard flights[slot] == nil else { return }
        var flight = SlotFlight()
        if plainCount[slot] > 0 { flight.sent[Int(plainNode[slot])] = Int(plainCount[slot]) }
        plainCount[slot] = 0
        flights[slot] = flight
    }

    /// Back to a plain count once nothing of the slot is held, waiting or on two nodes.
    func settle(_ slot: Int) {
        guard let flight = flights[slot], flight.held.isEmpty, flight.waiting == 0, flight.sent.count <= 1 else { return }
        if let (node, count) = flight.sent.first {
            plainNode[slot] = Int32(node)
            plainCount[slot] = Int32(count)
        }
        flights[slot] = nil
    }
}
