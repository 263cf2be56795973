import Foundation
import Testing
import TestSupport
@testable import Gateway

/// Loading the certificate and key: every failure is a typed error with OpenSSL's reason.
@Suite struct TLSContextTests {
    @Test func loadsAMatchingPair() throws {
        let pair = try #require(TestCertificate.shared)
        let context = try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: pair.key)
        #expect(context.certificatePath == pair.certificate)
    }

    @Test func missingFilesAreNamedWithTheirPaths() throws {
        let pair = try #require(TestCertificate.shared)
        #expect {
            try TLSContext(certificateChainFile: "/nonexistent/cert.pem", privateKeyFile: pair.key)
        } throws: { error in
            guard case .certificate(let path, let reason) = error as? TLSError else { return false }
            return path == "/nonexistent/cert.pem" && !reason.isEmpty
        }
        #expect {
            try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: "/nonexistent/key.pem")
        } throws: { error in
            guard case .privateKey(let path, _) = error as? TLSError else { return false }
            return path == "/nonexistent/key.pem"
        }
    }

    @Test func notPEMIsRefused() throws {
        let pair = try #require(TestCertificate.shared)
        let junk = pair.directory + "/junk.pem"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(throws: TLSError.self) { try TLSContext(certificateChainFile: junk, privateKeyFile: pair.key) }
        #expect(throws: TLSError.self) { try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: junk) }
    }

    @Test func aKeyOfAnotherCertificateIsAMismatch() throws {
        let pair = try #require(TestCertificate.shared)
        let other = try TestCertificate.make()
        #expect {
            try TLSContext(certificateChainFile: pair.certificate, privateKeyFile: other.key)
        } throws: { error in
            guard case .keyMismatch(let reason) = error as? TLSError else { return false }
            return reason.contains("mismatch")
        }
    }
}
