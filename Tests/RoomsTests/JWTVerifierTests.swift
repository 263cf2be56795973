import Testing
@testable import Gateway
@testable import Rooms

@Suite("JWT verification")
struct JWTVerifierTests {
    static let secret = Array("test-secret-of-some-length".utf8)
    static let now: Int64 = 1_750_000_000
    let signer = JWTSigner(secret: secret)
    let verifier = JWTVerifier(secret: secret)
    let header = #"{"alg":"HS256","typ":"JWT"}"#

    func verify(_ token: String) -> Result<JWTClaims, JWTError> {
        Result { () throws(JWTError) in try verifier.verify(token, now: Self.now) }
    }

    func payload(_ json: String) -> Result<JWTClaims, JWTError> {
        verify(signer.sign(headerJSON: header, payloadJSON: json))
    }

    @Test func validTokenRoundTrips() throws {
        let claims = JWTClaims(userID: 42, expiresAt: Self.now + 60, name: "Ann \"A\" ✓", tier: "premium",
                               isAdmin: true, rooms: [1, 7, 4_294_967_295])
        let token = signer.sign(claims)
        #expect(try verify(token).get() == claims)
        let decoded = try verify(token).get()
        #expect(decoded.isPremium)
        #expect(decoded.allows(room: 7))
        #expect(!decoded.allows(room: 2))
        let minimal = try payload(#"{"sub":"0","exp":\#(Self.now + 1),"iat":1,"iss":"x"}"#).get()
        #expect(minimal == JWTClaims(userID: 0, expiresAt: Self.now + 1))
        #expect(minimal.allows(room: 123))
        #expect(!minimal.isAdmin && !minimal.isPremium)
        #expect(try payload(#"{"sub":"1","exp":\#(Self.now + 1),"rooms":[]}"#).get().allows(room: 1) == false)
        #expect(try payload(#"{"sub":"1","exp":\#(Self.now + 1),"tier":"basic","adm":false}"#).get().isPremium == false)
    }

    @Test func knownExternalToken() {
        // jwt.io's HS256 example (secret "your-256-bit-secret"): the signature holds, it has no exp.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        let external = JWTVerifier(secret: Array("your-256-bit-secret".utf8))
        #expect(throws: JWTError.missingClaim("exp")) { try external.verify(token, now: Self.now) }
        #expect(throws: JWTError.badSignature) { try verifier.verify(token, now: Self.now) }
    }

    @Test func algorithmForgeriesAreRefused() {
        let body = Base64URL.encode(#"{"sub":"42","exp":\#(Self.now + 60)}"#.utf8)
        let none = Base64URL.encode(#"{"alg":"none","typ":"JWT"}"#.utf8)
        #expect(verify("\(none).\(body).") == .failure(.unsupportedAlgorithm))
        #expect(verify("\(none).\(body)") == .failure(.malformed))
        let valid = payload(#"{"sub":"42","exp":\#(Self.now + 60)}"#)
        #expect((try? valid.get()) != nil)
        for alg in [#""none""#, #""HS512""#, #""hs256""#, #""HS256 ""#, #""RS256""#, "null", "256", #"["HS256"]"#] {
            #expect(verify(signer.sign(headerJSON: #"{"alg":\#(alg)}"#, payloadJSON: #"{"sub":"42","exp":\#(Self.now + 60)}"#))
                    == .failure(.unsupportedAlgorithm), "alg \(alg)")
        }
        #expect(verify(signer.sign(headerJSON: #"{"typ":"JWT"}"#, payloadJSON: "{}")) == .failure(.unsupportedAlgorithm))
    }

    @Test func headerChecks() {
        let claims = #"{"sub":"42","exp":\#(Self.now + 60)}"#
        #expect((try? verify(signer.sign(headerJSON: #"{"alg":"HS256"}"#, payloadJSON: claims)).get()) != nil)
        #expect((try? verify(signer.sign(headerJSON: #"{"alg":"HS256","typ":"jwt"}"#, payloadJSON: claims)).get()) != nil)
        for bad in [#"{"alg":"HS256","typ":"JWS"}"#, #"{"alg":"HS256","typ":1}"#, #"{"alg":"HS256","crit":["b64"]}"#,
                    "[]", "\"HS256\"", "not json", ""] {
            #expect(verify(signer.sign(headerJSON: bad, payloadJSON: claims)) == .failure(.invalidHeader), "header \(bad)")
        }
    }

    @Test func signatureForgeriesAreRefused() throws {
        let token = signer.sign(JWTClaims(userID: 42, expiresAt: Self.now + 60))
        let other = JWTSigner(secret: Array("another-secret".utf8)).sign(JWTClaims(userID: 42, expiresAt: Self.now + 60))
        #expect(verify(other) == .failure(.badSignature))
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // Tampered payload: admin rights and another user, with the original signature.
        let forged = Base64URL.encode(#"{"sub":"1","exp":\#(Self.now + 60),"adm":true}"#.utf8)
        #expect(verify("\(parts[0]).\(forged).\(parts[2])") == .failure(.badSignature))
        // One flipped signature character, a truncated and an empty signature.
        var signature = Array(parts[2].utf8)
        signature[3] = signature[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(verify("\(parts[0]).\(parts[1]).\(String(decoding: signature, as: UTF8.self))") == .failure(.badSignature))
        #expect(verify("\(parts[0]).\(parts[1]).\(parts[2].dropLast(4))") == .failure(.badSignature))
        #expect(verify("\(parts[0]).\(parts[1]).") == .failure(.badSignature))
        #expect(verify("\(parts[0]).\(parts[1]).\(parts[2])=") == .failure(.invalidBase64))
    }

    @Test func structureForgeriesAreRefused() {
        let token = signer.sign(JWTClaims(userID: 42, expiresAt: Self.now + 60))
        #expect(verify("") == .failure(.malformed))
        #expect(verify(".") == .failure(.malformed))
        #expect(verify("..") == .failure(.invalidHeader))
        #expect(verify("abc") == .failure(.malformed))
        #expect(verify(token + ".") == .failure(.malformed))
        #expect(verify(token + ".xyz") == .failure(.malformed))
        #expect(verify("." + token) == .failure(.malformed))
        #expect(verify("e30!.e30.e30") == .failure(.invalidBase64))
        #expect(verify(String(repeating: "a", count: 4097)) == .failure(.tooLarge))
        #expect(verify(token + String(repeating: "A", count: 5000)) == .failure(.tooLarge))
        #expect(JWTVerifier(secret: Self.secret, maxTokenBytes: 10).result(token, now: Self.now).isFailure(.tooLarge))
    }

    @Test func expiry() {
        #expect(payload(#"{"sub":"42","exp":\#(Self.now)}"#) == .failure(.expired))
        #expect(payload(#"{"sub":"42","exp":\#(Self.now - 3600)}"#) == .failure(.expired))
        #expect(payload(#"{"sub":"42","exp":-1}"#) == .failure(.expired))
        #expect((try? payload(#"{"sub":"42","exp":\#(Self.now + 1)}"#).get()) != nil)
        let lenient = JWTVerifier(secret: Self.secret, leeway: 30)
        let token = signer.sign(JWTClaims(userID: 1, expiresAt: Self.now - 10))
        #expect((try? lenient.verify(token, now: Self.now)) != nil)
        #expect(throws: JWTError.expired) { try lenient.verify(token, now: Self.now + 20) }
        let far = signer.sign(JWTClaims(userID: 1, expiresAt: Int64.max))
        #expect((try? lenient.verify(far, now: Self.now)) != nil)
    }

    @Test func missingClaims() {
        #expect(payload(#"{"exp":\#(Self.now + 60)}"#) == .failure(.missingClaim("sub")))
        #expect(payload(#"{"sub":"42"}"#) == .failure(.missingClaim("exp")))
        #expect(payload("{}") == .failure(.missingClaim("sub")))
    }

    @Test(arguments: ["-1", "4294967296", "", "0x1", "+1", " 1", "1 ", "042", "00", "1.0", "1e3", "١", "99999999999"])
    func badSubjectsAreRefused(sub: String) {
        #expect(payload(#"{"sub":"\#(sub)","exp":\#(Self.now + 60)}"#) == .failure(.invalidClaim("sub")))
    }

    @Test func subjectRange() throws {
        #expect(try payload(#"{"sub":"4294967295","exp":\#(Self.now + 60)}"#).get().userID == UInt32.max)
        #expect(JWTClaims.parseUserID("0") == 0)
        #expect(JWTClaims.parseUserID("7") == 7)
    }

    @Test func wrongTypesAreRefused() throws {
        let exp = "\(Self.now + 60)"
        let cases: [(String, String)] = [
            (#"{"sub":42,"exp":\#(exp)}"#, "sub"),
            (#"{"sub":null,"exp":\#(exp)}"#, "sub"),
            (#"{"sub":"42","exp":"\#(exp)"}"#, "exp"),
            (#"{"sub":"42","exp":true}"#, "exp"),
            (#"{"sub":"42","exp":\#(exp).5}"#, "exp"),
            (#"{"sub":"42","exp":1e30}"#, "exp"),
            (#"{"sub":"42","exp":null}"#, "exp"),
            (#"{"sub":"42","exp":\#(exp),"adm":1}"#, "adm"),
            (#"{"sub":"42","exp":\#(exp),"adm":"true"}"#, "adm"),
            (#"{"sub":"42","exp":\#(exp),"adm":null}"#, "adm"),
            (#"{"sub":"42","exp":\#(exp),"name":7}"#, "name"),
            (#"{"sub":"42","exp":\#(exp),"tier":["premium"]}"#, "tier"),
            (#"{"sub":"42","exp":\#(exp),"rooms":7}"#, "rooms"),
            (#"{"sub":"42","exp":\#(exp),"rooms":[1,-1]}"#, "rooms"),
            (#"{"sub":"42","exp":\#(exp),"rooms":[4294967296]}"#, "rooms"),
            (#"{"sub":"42","exp":\#(exp),"rooms":[1.5]}"#, "rooms"),
            (#"{"sub":"42","exp":\#(exp),"rooms":["1"]}"#, "rooms"),
            (#"{"sub":"42","exp":\#(exp),"rooms":null}"#, "rooms"),
        ]
        for (json, claim) in cases {
            #expect(payload(json) == .failure(.invalidClaim(claim)), "\(json)")
        }
        #expect(try payload(#"{"sub":"42","exp":1e10}"#).get().expiresAt == 10_000_000_000)
    }

    @Test func nonObjectPayloadsAreRefused() {
        for json in ["[]", "42", "\"x\"", "null", "{", "", "{\"sub\":\"1\" \"exp\":2}", String(repeating: "[", count: 3000)] {
            #expect(payload(json) == .failure(.invalidPayload), "\(json.prefix(20))")
        }
    }

    @Test func tokenExtraction() throws {
        func request(_ text: String) throws -> HTTPRequest {
            var parser = HTTPRequestParser()
            parser.feed(Array(text.utf8))
            return try #require(try parser.nextRequest())
        }
        #expect(JWTVerifier.token(in: try request("GET /ws?token=a.b.c HTTP/1.1\r\nHost: h\r\n\r\n")) == "a.b.c")
        #expect(JWTVerifier.token(in: try request("GET /ws HTTP/1.1\r\nHost: h\r\nAuthorization: bearer  x.y.z\r\n\r\n")) == "x.y.z")
        #expect(JWTVerifier.token(in: try request("GET /ws HTTP/1.1\r\nHost: h\r\nAuthorization: Basic abc\r\n\r\n")) == nil)
        #expect(JWTVerifier.token(in: try request("GET /ws HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer\r\n\r\n")) == nil)
        #expect(JWTVerifier.token(in: try request("GET /ws HTTP/1.1\r\nHost: h\r\n\r\n")) == nil)
    }

    @Test func reasonsAreStable() {
        #expect(JWTError.expired.reason == "expired")
        #expect(JWTError.invalidClaim("sub").reason == "invalid_claim:sub")
    }
}

extension Result where Failure == JWTError {
    func isFailure(_ error: JWTError) -> Bool {
        if case .failure(let actual) = self { return actual == error }
        return false
    }
}

extension JWTVerifier {
    func result(_ token: String, now: Int64) -> Result<JWTClaims, JWTError> {
        Result { () throws(JWTError) in try self.verify(token, now: now) }
    }
}
