import Actors
import Gateway

// MARK: - Sending, redirects, completion (on the loop)

extension ClusterClient {
    /// Hands a batch (whole, or the commands at `indices`) to the link of node `target`;
    /// false when that link's outbox refused it.
    func send(_ batch: ClusterBatch, indices: [Int]?, to target: Int, asking: Bool) -> Bool {
        let bytes: [UInt8], commands: Int
        if let indices {
            (bytes, commands) = batch.encode(indices, asking: asking)
        } else {
            (bytes, commands) = (batch.bytes, batch.commandCount)
        }
        let accepted = nodeLinks[target].assumeIsolated {
            $0.submit(bytes, commands: commands, completion: Self.completion(of: batch.id, client: self))
        }
        guard accepted else { return false }
        batch.target = target
        batch.sentIndices = indices
        batch.asking = asking
        return true
    }

    /// The link's completion for a batch: back into this client by id (nothing loop-bound
    /// crosses between the two actors). It holds the client strongly while the batch is in
    /// flight: cheaper than a weak reference per batch, and the client outlives its links.
    private nonisolated static func completion(of id: UInt64, client: ClusterClient) -> (Result<[RESPValue], ShardLinkError>) -> Void {
        { result in client.assumeIsolated { $0.completed(id, result) } }
    }

    /// A send of a batch came back: keep the replies of commands that ran, follow the
    /// strongest redirect for the others, or complete.
    func completed(_ id: UInt64, _ result: Result<[RESPValue], ShardLinkError>) {
        guard let batch = batches[id], let from = batch.target else { return }
        let replies: [RESPValue]
        switch result {
        case .failure(let error): return finish(batch, .failure(error))
        case .success(let values): replies = values
        }
        // Fast path: the whole batch ran where it was sent.
        if batch.sentIndices == nil, !batch.asking, !replies.contains(where: Self.mayRedirect) {
            return finish(batch, .success(replies))
        }
        let indices = batch.sentIndices ?? Array(0..<batch.commandCount)
        // After ASK every command went with an ASKING before it: keep the command's reply.
        let answers = batch.asking ? stride(from: 1, to: replies.count, by: 2).map { replies[$0] } : replies
        guard answers.count == indices.count else {
            return finish(batch, .failure(.unexpectedReply("\(replies.count) replies for \(indices.count) commands")))
        }
        if batch.replies.isEmpty { batch.replies = Array(repeating: nil, count: batch.commandCount) }
        var redirect: ClusterRedirect?
        var again: [Int] = []
        var lastMessage = ""
        let answeringHost = nodeAddresses[from].host
        for (index, answer) in zip(indices, answers) {
            if case .error(let message) = answer, let found = ClusterRedirect(errorMessage: message, answeringHost: answeringHost) {
                redirect = found.stronger(than: redirect)
                again.append(index)
                lastMessage = message
            } else if index < batch.replies.count {
                batch.replies[index] = answer
            }
        }
        guard let redirect else {
            return finish(batch, .success(batch.replies.map { $0 ?? .null }))
        }
        batch.redirects += 1
        guard batch.redirects <= configuration.maxRedirects else {
            counters.redirectLimit.add(1, ordering: .relaxed)
            Log.warn("cluster.redirect_limit", ["slot": String(batch.slot), "last": lastMessage])
            return finish(batch, .failure(.tooManyRedirects(lastMessage)))
        }
        if batch.ranges.isEmpty {
            guard let ranges = RESPCommandRanges.split(batch.bytes, count: batch.commandCount) else {
                return finish(batch, .failure(.unexpectedReply("batch is not \(batch.commandCount) RESP commands")))
            }
            batch.ranges = ranges
        }
        // From here the slot's order is watched: its batches may be on two nodes.
        watch(batch.slot)
        noteDone(batch.slot, at: from)
        batch.target = nil
        switch redirect {
        case .moved(let slot, let address):
            counters.moved.add(1, ordering: .relaxed)
            assign(slot: slot, to: address)
            requestRefresh()
            resend(batch, indices: again, to: node(for: address), asking: false)
        case .ask(_, let address):
            counters.ask.add(1, ordering: .relaxed)
            resend(batch, indices: again, to: node(for: address), asking: true)
        case .tryAgain:
            counters.tryAgain.add(1, ordering: .relaxed)
            flights[batch.slot]?.waiting += 1
            let id = batch.id, slot = batch.slot
            loop.scheduleTimer(after: configuration.retryDelay) { [weak self] in
                self?.assumeIsolated { $0.retry(id, slot: slot, indices: again) }
            }
        }
        release(batch.slot)
    }

    /// After a TRYAGAIN's wait: the commands go again to the slot's master.
    private func retry(_ id: UInt64, slot: Int, indices: [Int]) {
        flights[slot]?.waiting -= 1
        guard let batch = batches[id] else { return release(slot) }
        guard let owner = owner(ofSlot: slot) else { return finish(batch, .failure(.noRoute(slot: slot))) }
        resend(batch, indices: indices, to: owner, asking: false)
        release(slot)
    }

    /// Sends the redirected commands of a batch again; a refusal (full outbox) fails it.
    private func resend(_ batch: ClusterBatch, indices: [Int], to target: Int, asking: Bool) {
        guard send(batch, indices: indices, to: target, asking: asking) else {
            counters.refused.add(1, ordering: .relaxed)
            return finish(batch, .failure(.outboxFull))
        }
        noteSent(batch.slot, to: target)
    }

    /// Completes a batch, then lets its slot's held batches go.
    func finish(_ batch: ClusterBatch, _ result: Result<[RESPValue], ShardLinkError>) {
        batches[batch.id] = nil
        if let target = batch.target { noteDone(batch.slot, at: target) }
        batch.target = nil
        if !flights.isEmpty, flights[batch.slot] != nil { release(batch.slot) }
        batch.completion(result)
    }

    /// Sends the held batches of `slot`, oldest first, as far as order allows. With
    /// `failUnrouted`, batches whose slot still has no master fail (`noRoute`) instead of
    /// waiting for another refresh.
    func release(_ slot: Int, failUnrouted: Bool = false) {
        var failed: [(ClusterBatch, ShardLinkError)] = []
        while let id = flights[slot]?.held.first {
            guard let batch = batches[id] else {
                flights[slot]?.held.removeFirst()
                continue
            }
            guard let target = owner(ofSlot: slot) else {
                if failUnrouted {
                    flights[slot]?.held.removeFirst()
                    failed.append((batch, .noRoute(slot: slot)))
                    continue
                }
                unroutedSlots.insert(slot)
                break
            }
            guard flights[slot]?.mayOvertakeNothing(to: target) ?? true else { break }
            flights[slot]?.held.removeFirst()
            if send(batch, indices: batch.sentIndices, to: target, asking: false) {
                flights[slot]?.add(target)
            } else {
                counters.refused.add(1, ordering: .relaxed)
                failed.append((batch, .outboxFull))
            }
        }
        settle(slot)
        for (batch, error) in failed {
            batches[batch.id] = nil
            batch.completion(.failure(error))
        }
    }

    /// Whether a reply may be a redirect (checked before parsing anything).
    private static func mayRedirect(_ reply: RESPValue) -> Bool {
        guard case .error(let message) = reply else { return false }
        return message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") || message.hasPrefix("TRYAGAIN")
    }
}
