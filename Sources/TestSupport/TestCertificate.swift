import Foundation

/// A throwaway self-signed certificate for `localhost` and 127.0.0.1, made by the `openssl`
/// command in a temporary folder (RSA 2048, valid one day).
///
/// `shared` is made once per test process (key generation takes a moment); `make()` makes
/// a fresh pair, e.g. for a key that does not match `shared`'s certificate.
public struct TestCertificate: Sendable {
    /// The folder holding both files.
    public let directory: String
    /// PEM certificate (also the trust anchor clients load).
    public let certificate: String
    /// PEM private key, unencrypted.
    public let key: String

    /// The pair shared by a test process; nil when `openssl` failed (tests `#require` it).
    public static let shared: TestCertificate? = try? make()

    /// Runs `openssl req -x509` into a new temporary folder.
    public static func make() throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            // Clients (Python's ssl among them) match host names against subjectAltName only.
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CertificateFailed(status: process.terminationStatus) }
        return TestCertificate(directory: directory, certificate: certificate, key: key)
    }

    /// `openssl` exited with an error.
    public struct CertificateFailed: Error {
        /// Its exit status.
        public let status: Int32
    }
}
