import Foundation
import Testing
import TestSupport

/// `chat-node` with TLS_CERT and TLS_KEY, as a process.
@Suite struct ChatNodeTLSProcessTests {
    private let binary = PackageRoot.url.appendingPathComponent(".build/debug/chat-node").path

    @Test func refusesToStartWhenTheCertificateCannotBeLoaded() throws {
        let pair = try #require(TestCertificate.shared)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = [
            "DEV_LOGIN": "1", "STORE": "memory", "PORT": String(try FreePort.next()), "HOST": "127.0.0.1",
            "TLS_CERT": "/nonexistent/cert.pem", "TLS_KEY": pair.key,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(text.contains("TLS_CERT"))
        #expect(text.contains("/nonexistent/cert.pem"))
    }

    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let pair = try #require(TestCertificate.shared)
        let port = try FreePort.next()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = [
            "PORT": String(port), "HOST": "127.0.0.1", "DEV_LOGIN": "1", "STORE": "memory",
            "TLS_CERT": pair.certificate, "TLS_KEY": pair.key,
            "WEB_ROOT": PackageRoot.url.appendingPathComponent("web").path,
            "CONTROL_SOCKET": "/tmp/chat-node-tls-test-\(port).sock",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await eventually("https health", poll: .milliseconds(100)) {
            try httpsStatus(port: port, path: "/health", trusting: pair.certificate) == "200"
        }
        #expect(try httpsStatus(port: port, path: "/dev/token?user=alice", trusting: pair.certificate) == "200")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// The status of an HTTPS GET made by Python's `urllib` trusting only `trusting`.
    private func httpsStatus(port: Int, path: String, trusting certificate: String) throws -> String {
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"]
            ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = """
            import ssl, sys, urllib.request
            context = ssl.create_default_context(cafile=sys.argv[1])
            try:
                print(urllib.request.urlopen(sys.argv[2], context=context, timeout=2).status)
            except Exception as error:
                print(type(error).__name__)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, certificate, "https://localhost:\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
