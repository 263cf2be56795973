import Foundation
import Testing
import TestSupport

/// The web messenger (`web/`) in a real browser: Debian's headless Chromium driven over the
/// DevTools protocol by Tests/NodeTests/python/browser_check.py, against a running chat-node.
///
/// Two isolated browser contexts log in as alice and bob through the page, chat in one
/// room, and the driver checks typing, sent and read ticks, unread badges, DMs, edits,
/// history paging, HTML shown as text, a cut socket and an offline spell (the page rejoins
/// with `since` and `epoch` and shows what it missed), and the degraded-mode banner.
/// Screenshots are saved under `.build/artifacts/`.
@Suite struct WebClientBrowserTests {
    static let checks = [
        "login through the page", "ids and backoff modules", "join room", "send with Enter and receive", "sent and read ticks, unread badge",
        "typing indicator", "direct message with unread badge and online dot", "edit own message",
        "html shown as text", "history paging upward", "leave room", "token login",
        "reconnect after a cut socket shows missed messages", "waiting for network, then resume",
        "reload keeps the session and resumes", "screenshot", "degraded mode banner", "no page errors",
    ]

    @Test func twoUsersChatInHeadlessChromium() async throws {
        // RATE_LIMIT: the driver posts 120 messages for the paging check. MAX_CONNECTIONS and
        // LOAD_SAMPLE_SECONDS: the driver fills the node's connections at the end, and the load
        // monitor must notice within a second for the degraded-mode check.
        let node = try ChatNodeProcess(environment: [
            "STORE": "memory", "RATE_LIMIT": "100000", "MAX_CONNECTIONS": "64", "LOAD_SAMPLE_SECONDS": "1",
        ])
        defer { node.stop() }
        try await node.waitUntilHealthy()
        let python = ProcessInfo.processInfo.environment["CHAT_PYTHON"]
            ?? PackageRoot.url.appendingPathComponent(".venv/bin/python").path
        let script = PackageRoot.url.appendingPathComponent("Tests/NodeTests/python/browser_check.py").path
        let artifacts = PackageRoot.url.appendingPathComponent(".build/artifacts").path
        let (status, output) = try await runProcess(python, [script, String(node.port), artifacts])
        #expect(status == 0, "browser checks failed:\n\(output)\nnode log:\n\(node.logText)")
        for check in Self.checks { #expect(output.contains("ok \(check)\n"), "missing \(check):\n\(output)") }
        let screenshot = artifacts + "/chat.png"
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? NSNumber)?.intValue ?? 0
        #expect(size > 10_000, "no screenshot at \(screenshot)")
    }
}
