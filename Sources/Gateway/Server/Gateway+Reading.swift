import Actors

// MARK: - Reading: HTTP requests, the upgrade, WebSocket messages

extension Gateway {
    func handle(_ connection: Connection, events: UInt32) {
        if events & (Epoll.readable | Epoll.readHangup | Epoll.hangup | Epoll.error) != 0 {
            readAvailable(connection)
        }
        if connection.state != .closed && events & Epoll.writable != 0 {
            flush(connection)
        }
    }

    private func readAvailable(_ connection: Connection) {
        // A few reads per readiness event at most, so one busy peer cannot starve the others.
        for _ in 0..<4 {
            guard connection.state != .closed else { return }
            let result: IOResult
            do { result = try Socket.read(connection.fd, into: readBuffer) } catch {
                return finalClose(connection)
            }
            switch result {
            case .wouldBlock:
                return
            case .done(0):
                return finalClose(connection)
            case .done(let count):
                counters.bytesIn.add(count, ordering: .relaxed)
                connection.bytesIn &+= count
                connection.lastActivity = tick
                connection.pingSentAt = nil
                let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
                if let session = connection.tls { readTLS(connection, session, bytes) } else { process(connection, bytes) }
                if count < readBuffer.count || connection.routing != nil { return }
            }
        }
    }

    func process(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        switch connection.state {
        case .http: if connection.held { finalClose(connection) } else { processHTTP(connection, bytes) }
        case .webSocket: processWebSocket(connection, bytes)
        case .closing, .closed: break  // lingering: input is discarded
        }
    }

    func processHTTP(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        guard var parser = connection.httpParser else { return }
        parser.feed(bytes)
        connection.httpParser = parser
        // A request routed on loop 0 holds the rest until its answer (`resumeRouting`); a
        // held request (admission queue) until the application answers it.
        while connection.state == .http && connection.routing == nil && !connection.held {
            let request: HTTPRequest?
            do {
                request = try connection.httpParser?.nextRequest()
            } catch {
                respond(connection, with: HTTPResponse.error(error).closingConnection())
                return
            }
            guard let request else { return }
            handleRequest(connection, request)
        }
    }

    private func handleRequest(_ connection: Connection, _ request: HTTPRequest) {
        if uplink != nil { return routeOnLoopZero(connection, request) }
        apply(application.route(request, on: self), to: connection, for: request)
    }

    /// Carries out the application's route for `request`.
    func apply(_ route: GatewayRoute, to connection: Connection, for request: HTTPRequest) {
        switch route {
        case .respond(let response):
            let closing = !request.keepAlive || !accepting || response.closesConnection
            respond(connection, with: closing ? response.closingConnection() : response, headOnly: request.method == "HEAD")
            if !closing { connection.deadline = tick + configuration.requestTimeoutSeconds }
        case .upgrade(let session):
            upgrade(connection, request, session: session)
        case .hold(let seconds, let waiting):
            hold(connection, seconds: seconds)
            waiting(connection.id)
        }
    }

    private func upgrade(_ connection: Connection, _ request: HTTPRequest, session: AnyObject?) {
        let result = WebSocketHandshake.validate(
            method: request.method, version: request.version.description, header: { request.headers[$0] },
            configuration: handshakeConfiguration)
        switch result {
        case .reject(let status, let headers, _):
            var response = HTTPResponse.error(HTTPStatus(code: status))
            for header in headers { response.headers.replaceOrAdd(name: header.name, value: header.value) }
            respond(connection, with: response.closingConnection())
        case .accept(let acceptance):
            let leftover = connection.httpParser?.takeRemainingBytes() ?? []
            connection.httpParser = nil
            let head = Array(acceptance.responseHead.utf8)
            enqueueUnbounded(connection, OutboundFrame(copying: head, priority: .critical))
            let deflate = acceptance.permessageDeflate
            connection.deflate = deflate
            connection.sharesCompressedFrames = deflate.map { $0.serverNoContextTakeover && $0.serverMaxWindowBits == 15 } ?? false
            connection.assembler = WebSocketMessageAssembler(
                configuration: WebSocketParserConfiguration(
                    role: .server, maxMessageSize: configuration.maxMessageBytes, permessageDeflate: deflate != nil),
                decompressor: deflate?.makeDecompressor(role: .server))
            connection.state = .webSocket
            connection.applicationKnows = true
            wheel.insert(connection.id, at: tick + configuration.pingIdleSeconds)
            counters.upgrades.add(1, ordering: .relaxed)
            tellOpened(connection.id, session: session)
            if !leftover.isEmpty, connection.state == .webSocket {
                leftover.withUnsafeBytes { processWebSocket(connection, $0) }
            }
        }
    }

    private func processWebSocket(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        var input = bytes
        while connection.state == .webSocket {
            let message: WebSocketMessage?
            do {
                message = try connection.assembler?.nextMessage(&input)
            } catch {
                counters.protocolErrors.add(1, ordering: .relaxed)
                closeWebSocket(connection, code: error.closeCode, reason: "")
                return
            }
            guard let message else { break }
            switch message {
            case .text, .binary:
                tellReceived(message, from: connection.id)
            case .ping(let payload):
                let pong = WebSocketFrameEncoder(role: .server).pong(payload)
                enqueueUnbounded(connection, OutboundFrame(copying: pong, priority: .critical))
            case .pong:
                connection.pingSentAt = nil
            case .close(let code, _):
                closeWebSocket(connection, code: code ?? .normalClosure, reason: "")
            }
        }
        // An idle assembler holds no buffer; drop nothing else.
    }
}
