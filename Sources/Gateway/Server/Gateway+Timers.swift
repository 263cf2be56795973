// MARK: - Once a second: request timeouts, pings, pong timeouts, lingering closes

extension Gateway {
    func onTick() {
        tick += 1
        for id in wheel.advance(to: tick) {
            guard let connection = connection(id) else { continue }
            switch connection.state {
            case .http:
                if tick >= connection.deadline {
                    finalClose(connection)  // slowloris or idle keep-alive
                } else {
                    wheel.insert(id, at: connection.deadline)
                }
            case .webSocket:
                checkLiveness(connection)
            case .closing:
                if tick >= connection.deadline { finalClose(connection) } else { wheel.insert(id, at: connection.deadline) }
            case .closed:
                break
            }
        }
        flushDirty()
    }

    private func checkLiveness(_ connection: Connection) {
        if let sent = connection.pingSentAt {
            if tick >= sent + configuration.pongTimeoutSeconds {
                finalClose(connection)  // no answer: the peer is gone
            } else {
                wheel.insert(connection.id, at: sent + configuration.pongTimeoutSeconds)
            }
            return
        }
        let idleUntil = connection.lastActivity + configuration.pingIdleSeconds
        if tick >= idleUntil {
            connection.pingSentAt = tick
            let ping = WebSocketFrameEncoder(role: .server).ping()
            enqueueUnbounded(connection, OutboundFrame(copying: ping, priority: .critical))
            wheel.insert(connection.id, at: tick + configuration.pongTimeoutSeconds)
        } else {
            wheel.insert(connection.id, at: idleUntil)
        }
    }
}
