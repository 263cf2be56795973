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

    private func get(_ port: Int, _ path: String) async -> (status: Int, body: String) {
        let (status, text) = await httpGet(port: port, path: path)
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    @Test func refusesInvalidConfigurationWithAClearMessage() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary())
        process.arguments = ["--port", "notaport"]
        process.environment = [:]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = try await onOwnThread {
            process.waitUntilExit()
            return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
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
        ChildProcesses.track(process.processIdentifier)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await eventually("health ok") { await get(port, "/health").status == 200 }
        #expect(await get(port, "/health").body.contains("\"shards_up\":1"))
        let token = await get(port, "/dev/token?user=alice")
        #expect(token.status == 200 && token.body.contains("\"token\""))
        #expect(await get(port, "/ws?token=forged.token.here").status == 401)
        #expect(await get(port, "/").body.contains("chat-node"))
        // Storage gone: health turns 503 for load balancers.
        valkey.kill()
        try await eventually("health 503") { await get(port, "/health").status == 503 }
        kill(process.processIdentifier, SIGTERM)
        try await onOwnThread { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
    }
}
