import Actors

// MARK: - TLS: decrypt after each read, encrypt at each flush, on the same loop

/// With TLS on, each connection has a `TLSSession` between the socket and the usual
/// HTTP/WebSocket processing:
///
/// ```
/// recv ─> readTLS ─> decrypt ─> process (HTTP, WebSocket) ─> application
/// OutboundQueue (plaintext frames, budget as usual) ─> flushTLS ─> encrypt ─> send
/// ```
///
/// The queue keeps its byte budget on plaintext frames: `flushTLS` encrypts at most one
/// record's worth (16 KiB) of the queue at a time, and only once the previous ciphertext
/// has left, so the ciphertext waiting per connection stays under about 17 KiB and a slow
/// reader still fills its plaintext queue and is closed with 4008 as before. A handshake
/// that does not finish is cut by the HTTP request timeout: the connection is in the
/// `http` state with that deadline until its first request.
extension Gateway {
    /// Gives a new connection its TLS session when TLS is on; false when OpenSSL could not
    /// create one (the caller closes the socket).
    func startTLS(_ connection: Connection) -> Bool {
        guard let context = configuration.tls else { return true }
        do {
            connection.tls = try TLSSession(context: context)
            return true
        } catch {
            Log.error("gateway.tls_session", ["error": error.description])
            return false
        }
    }

    /// Decrypts `ciphertext` just read and processes the plaintext; queues the flush of
    /// whatever OpenSSL has to send (handshake flights, session tickets, alerts).
    func readTLS(_ connection: Connection, _ session: TLSSession, _ ciphertext: UnsafeRawBufferPointer) {
        guard let scratch = tlsScratch else { return finalClose(connection) }
        var rest = ciphertext
        while !rest.isEmpty && connection.state != .closed {
            let fed = session.feed(rest)
            guard fed > 0 else { return failTLS(connection, session, .setup(reason: "out of memory")) }
            rest = UnsafeRawBufferPointer(rebasing: rest[fed...])
            decrypting: while connection.state != .closed {
                switch session.decrypt(into: scratch.plaintext) {
                case .plaintext(let count):
                    process(connection, UnsafeRawBufferPointer(rebasing: scratch.plaintext[0..<count]))
                case .needsInput:
                    break decrypting
                case .closed:
                    return finalClose(connection)  // close_notify: the peer is done, as at EOF
                case .failed(let error):
                    return failTLS(connection, session, error)
                }
            }
        }
        if connection.state != .closed && !session.pendingCiphertext.isEmpty { markDirty(connection) }
    }

    /// Sends pending ciphertext, then encrypts and sends queued frames, one record's worth
    /// at a time; close_notify follows the last frame of a closing connection.
    func flushTLS(_ connection: Connection, _ session: TLSSession) {
        guard let scratch = tlsScratch else { return finalClose(connection) }
        while connection.state != .closed {
            let pending = session.pendingCiphertext
            if !pending.isEmpty {
                let result: IOResult
                do { result = try Socket.write(connection.fd, pending) } catch { return finalClose(connection) }
                guard case .done(let written) = result else { return setWriteInterest(connection, true) }
                counters.bytesOut.add(written, ordering: .relaxed)
                session.consumeCiphertext(written, scratch: scratch.staging)
                if written < pending.count { return setWriteInterest(connection, true) }
            } else if !connection.outbound.isEmpty {
                do throws(TLSError) { try encryptQueued(connection, session, into: scratch.staging) } catch {
                    return failTLS(connection, session, error)
                }
            } else if connection.state == .closing && !session.closeNotifyQueued {
                session.queueCloseNotify()
            } else {
                session.releaseHandshakeBuffers()
                break
            }
        }
        guard connection.state != .closed else { return }
        setWriteInterest(connection, false)
        if connection.state == .closing { Socket.shutdownWrite(connection.fd) }
    }

    /// Gathers up to one record of queued plaintext (small frames share a record) and
    /// encrypts it; the queue advances by what was encrypted.
    private func encryptQueued(
        _ connection: Connection, _ session: TLSSession, into staging: UnsafeMutableRawBufferPointer
    ) throws(TLSError) {
        let count = connection.outbound.fill(vectors, capacity: 64)
        var used = 0
        for index in 0..<count where used < staging.count {
            guard let base = vectors[index].iov_base else { continue }
            let take = Swift.min(vectors[index].iov_len, staging.count - used)
            staging.baseAddress.unsafelyUnwrapped.advanced(by: used).copyMemory(from: base, byteCount: take)
            used += take
        }
        try session.encrypt(UnsafeRawBufferPointer(rebasing: staging[0..<used]))
        connection.outbound.advance(by: used)
    }

    /// A failed handshake or record: send OpenSSL's alert if the socket takes it, close.
    private func failTLS(_ connection: Connection, _ session: TLSSession, _ error: TLSError) {
        counters.tlsFailures.add(1, ordering: .relaxed)
        Log.debug("gateway.tls_failed", ["error": error.description])
        let alert = session.pendingCiphertext
        if !alert.isEmpty { _ = try? Socket.write(connection.fd, alert) }
        finalClose(connection)
    }
}

/// The gateway's buffers for TLS, shared by its connections (one loop thread): decrypted
/// plaintext lands in `plaintext`; `staging` gathers frames into a record and takes the
/// bytes drained from the output BIO. Separate, because the application may flush (and
/// so encrypt) while the gateway is still processing a decrypted buffer.
final class TLSScratch {
    /// Where `decrypt` writes: one record's plaintext at most.
    let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    /// Plaintext gathered for one record, and the drain target of sent ciphertext.
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)

    deinit {
        plaintext.deallocate()
        staging.deallocate()
    }
}
