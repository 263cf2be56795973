import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The `chat-node` executable as a process, with a real valkey-server.
@Suite struct ChatNodeProcessTests {
    private func binary() -> String {
        PackageRoot.url.appendingPathComponent(".build/debug/chat-node").path
    }

    private func get(_ port: Int, _ path: String) -> (status: Int, body: String) {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return (0, "") }
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox()
        URLSession.shared.dataTask(with: url) { data, response, _ in
            box.set((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            semaphore.signal()
        }.resume()
        _ = semaphore.wait(timeout: .now() + 5)
        return box.get()
    }

    @Test func refusesInvalidConfigurationWithAClearMessage() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary())
        process.arguments = ["--port", "notaport"]
        process.environment = [:]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(text.contains("PORT"))
        #expect(text.contains("JWT_SECRET"))
    }

    @Test func servesHealthDevTokenAndRefusesBadTokensThenStopsOnSIGTERM() async throws {
        let valkey = try ValkeyServer()
        let port = try FreePort.next()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary())
        process.environment = [
            "PORT": String(port), "HOST": "127.0.0.1", "DEV_LOGIN": "1", "VALKEY_HOSTS": valkey.address,
            "WEB_ROOT": PackageRoot.url.appendingPathComponent("web").path,
            "CONTROL_SOCKET": "/tmp/chat-node-test-\(port).sock",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await eventually("health ok") { get(port, "/health").status == 200 }
        #expect(get(port, "/health").body.contains("\"shards_up\":1"))
        let token = get(port, "/dev/token?user=alice")
        #expect(token.status == 200 && token.body.contains("\"token\""))
        #expect(get(port, "/ws?token=forged.token.here").status == 401)
        #expect(get(port, "/").body.contains("chat-node"))
        // Storage gone: health turns 503 for load balancers.
        valkey.kill()
        try await eventually("health 503") { get(port, "/health").status == 503 }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int, String) = (0, "")
    func set(_ status: Int, _ body: String) { lock.lock(); value = (status, body); lock.unlock() }
    func get() -> (Int, String) { lock.lock(); defer { lock.unlock() }; return value }
}
