"""The web messenger in a real browser, against a running chat-node.

Starts Debian's headless Chromium and drives it over the DevTools protocol (CDP) with the
`websockets` package: two isolated browser contexts log in as alice and bob through the
page's own UI, chat in room 1, and the checks below read the page's DOM. Every wait is
bounded. Prints "ok <check>" per check and exits non-zero at the first failure.

Usage: browser_check.py PORT ARTIFACT_DIR
(the node must run with DEV_LOGIN=1, MAX_CONNECTIONS=64, LOAD_SAMPLE_SECONDS=1 and a high
RATE_LIMIT; screenshots go to ARTIFACT_DIR/chat.png, chat-bob.png, chat-degraded.png).
"""
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PORT = int(sys.argv[1])
ARTIFACTS = sys.argv[2] if len(sys.argv) > 2 else ".build/artifacts"
BASE = f"http://127.0.0.1:{PORT}"
XSS = "<script>alert(1)</script><b>x</b>"


def ok(name):
    print(f"ok {name}", flush=True)


# MARK: - DevTools protocol


class CDPError(Exception):
    pass


class Browser:
    """One CDP connection to the browser; pages are flat sessions on it."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.sessions = {}
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            await self.read_frames()
        except ConnectionClosed:
            pass

    async def read_frames(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg:
                future = self.pending.pop(msg["id"], None)
                if future and not future.done():
                    if "error" in msg:
                        future.set_exception(CDPError(f"{msg['error']}"))
                    else:
                        future.set_result(msg.get("result", {}))
            else:
                page = self.sessions.get(msg.get("sessionId"))
                if page:
                    page.event(msg["method"], msg.get("params", {}))

    async def call(self, method, params=None, session=None, timeout=15.0):
        self.next_id += 1
        ident = self.next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send(json.dumps(message))
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"CDP {method} got no answer within {timeout}s")

    async def new_page(self, name):
        context = await self.call("Target.createBrowserContext", {"disposeOnDetach": True})
        target = await self.call("Target.createTarget", {
            "url": "about:blank", "browserContextId": context["browserContextId"], "newWindow": True})
        attached = await self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"], name)
        page.target = target["targetId"]
        self.sessions[page.session] = page
        for domain in ("Page", "Runtime", "Network"):
            await page.call(f"{domain}.enable")
        await page.call("Emulation.setDeviceMetricsOverride",
                        {"width": 1180, "height": 760, "deviceScaleFactor": 1, "mobile": False})
        await page.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
        return page


class Page:
    def __init__(self, browser, session, name):
        self.browser = browser
        self.session = session
        self.name = name
        self.exceptions = []
        self.console_errors = []
        self.dialogs = []

    def event(self, method, params):
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.exceptions.append(details.get("exception", {}).get("description") or details.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message"))
            asyncio.ensure_future(self.call("Page.handleJavaScriptDialog", {"accept": False}))

    async def call(self, method, params=None, timeout=15.0):
        return await self.browser.call(method, params, self.session, timeout)

    async def eval(self, expression):
        result = await self.call("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise AssertionError(f"{self.name}: {expression!r} threw "
                                 f"{details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    async def wait(self, expression, what, timeout=10.0):
        """Polls `expression` until it is truthy; returns its value. An exception (e.g. while
        the page reloads) counts as not yet, and is reported when time runs out."""
        guarded = f"(() => {{ try {{ return {{value: ({expression})}}; }} catch (e) {{ return {{error: String(e)}}; }} }})()"
        deadline = time.monotonic() + timeout
        outcome = {}
        while time.monotonic() < deadline:
            outcome = await self.eval(guarded) or {}
            if outcome.get("value"):
                return outcome["value"]
            await asyncio.sleep(0.05)
        state = await self.eval("JSON.stringify({conn: document.body?.dataset.conn, screen: document.body?.dataset.screen,"
                                " banner: document.getElementById('conn-banner')?.textContent})")
        raise AssertionError(f"{self.name}: no {what} within {timeout}s (last {outcome!r}; page {state})")

    async def holds(self, expression, what, duration=1.0):
        """Checks that `expression` stays truthy for `duration` seconds."""
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            if not await self.eval(expression):
                raise AssertionError(f"{self.name}: {what} did not hold")
            await asyncio.sleep(0.05)

    async def navigate(self, url):
        await self.call("Page.navigate", {"url": url})
        await self.wait("document.readyState === 'complete' && document.body?.dataset.screen !== 'boot'", "page load")

    async def type_into(self, selector, text):
        """Focuses a field and types like a user (input events included)."""
        await self.eval(f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
                        f" el.focus(); el.value = ''; el.dispatchEvent(new Event('input')); }})()")
        await self.call("Input.insertText", {"text": text})

    async def press_enter(self):
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                      "nativeVirtualKeyCode": 13}
            if kind == "keyDown":
                params["text"] = "\r"
            await self.call("Input.dispatchKeyEvent", params)

    async def click(self, selector):
        clicked = await self.eval(f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
                                  f" if (!el) return false; el.click(); return true; }})()")
        assert clicked, f"{self.name}: nothing to click at {selector}"

    async def open_chat(self, key):
        """Opens a chat from the chat list and waits for its panel."""
        await self.click(f'.chat-item[data-key="{key}"]')
        await self.wait(f"document.getElementById('chat').dataset.key === '{key}'", f"chat {key} open")

    async def screenshot(self, path):
        shot = await self.call("Page.captureScreenshot", {"format": "png"}, timeout=30)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"screenshot {os.path.abspath(path)}", flush=True)

    async def send_message(self, text):
        await self.type_into("#composer-input", text)
        await self.press_enter()
        await self.wait(f"[...document.querySelectorAll('#message-list .msg.own')].some(m =>"
                        f" m.querySelector('.text').textContent === {json.dumps(text)}"
                        f" && (m.dataset.status === 'sent' || m.dataset.status === 'read'))",
                        f"ack of {text!r}")


# MARK: - page queries


def texts_js(selector=".msg"):
    return f"[...document.querySelectorAll('#message-list {selector} .text')].map(t => t.textContent)"


def own_status_js(text):
    return (f"[...document.querySelectorAll('#message-list .msg.own')].filter(m =>"
            f" m.querySelector('.text').textContent === {json.dumps(text)}).map(m =>"
            f" m.dataset.status + ' ' + m.querySelector('.ticks').textContent)[0]")


def chat_item_js(key, field):
    return f"document.querySelector('.chat-item[data-key=\"{key}\"]')?.{field}"


# MARK: - helpers outside the browser


def forged_token():
    """Well-formed, unexpired, wrongly signed."""
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': '7', 'exp': int(time.time()) + 3600})}.{'A' * 43}"


def dev_uid(name):
    with urllib.request.urlopen(f"{BASE}/dev/token?user={name}", timeout=5) as response:
        return json.loads(response.read())


async def prefill(room, count):
    """Posts `count` messages to `room` as carol through a plain WebSocket client."""
    token = dev_uid("carol")["token"]
    async with connect(f"ws://127.0.0.1:{PORT}/ws?token={token}", compression=None) as ws:
        await ws.send(json.dumps({"t": "join", "room": room}))
        await recv_until(ws, lambda f: f.get("t") == "joined")
        for i in range(count):
            cid = f"p{i}"
            while True:
                await ws.send(json.dumps({"t": "send", "room": room, "text": f"p{i:03d}", "cid": cid}))
                reply = await recv_until(ws, lambda f: f.get("cid") == cid)
                if reply.get("t") == "ack":
                    break
                assert reply.get("code") == "rate_limited", reply
                await asyncio.sleep(reply.get("retry_ms", 100) / 1000)


async def recv_until(ws, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no expected frame from the node")
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if predicate(frame):
            return frame


def launch_chromium(profile):
    binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium not found (scripts/setup installs Debian's chromium)"
    args = [binary, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-extensions", "--disable-sync", "--disable-background-networking", "--disable-component-update",
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows", "--mute-audio", "--window-size=1180,760", "about:blank"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    log = open(os.path.join(profile, "chromium.log"), "wb")
    process = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with open(port_file) as f:
                lines = f.read().split("\n")
            if len(lines) >= 2 and lines[1]:
                return process, f"ws://127.0.0.1:{int(lines[0])}{lines[1]}"
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.05)
    process.kill()
    with open(os.path.join(profile, "chromium.log"), "rb") as f:
        raise AssertionError(f"chromium did not start: {f.read()[-2000:]!r}")


def stop_group(process):
    """Ends the browser started here: its own process group (the launcher script and its children)."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# MARK: - the checks


async def login(page, name):
    await page.navigate(f"{BASE}/")
    await page.wait("document.body.dataset.screen === 'login' && !document.getElementById('login-name-row').hidden",
                    "dev login form")
    await page.type_into("#login-name", name)
    await page.click("#login-submit")
    await page.wait("document.body.dataset.screen === 'app' && document.body.dataset.conn === 'online'", "online")
    assert await page.eval("document.getElementById('me-name').textContent") == name


async def join_room(page, room):
    await page.type_into("#join-room", str(room))
    await page.click("#join-submit")
    await page.wait(f"document.getElementById('chat').dataset.key === 'r:{room}'"
                    f" && /member/.test(document.getElementById('chat-sub').textContent)", f"room {room} joined")


async def run(browser):
    alice = await browser.new_page("alice")
    bob = await browser.new_page("bob")
    alice_uid = dev_uid("alice")["uid"]
    bob_uid = dev_uid("bob")["uid"]

    await login(alice, "alice")
    await login(bob, "bob")
    for page in (alice, bob):
        assert await page.eval("document.visibilityState") == "visible", page.name
    ok("login through the page")

    # The pure modules, loaded as the page loads them: ids beyond 2^53 and backoff bounds.
    modules = await alice.eval("""(async () => {
        const { compareIds, maxId } = await import('/js/ids.js');
        const { Backoff } = await import('/js/backoff.js');
        const low = new Backoff({ base: 500, cap: 8000, random: () => 0 });
        const high = new Backoff({ base: 500, cap: 8000, random: () => 0.999999 });
        const lows = [], highs = [];
        for (let i = 0; i < 7; i++) { lows.push(low.next()); highs.push(high.next()); }
        low.reset();
        return {
            beyond53: compareIds('9007199254740993', '9007199254740992'),
            max64: maxId('18446744073709551615', '18446744073709551614'),
            equal: compareIds('0012', '12'),
            lows, highs, afterReset: low.next(),
        };
    })()""")
    assert modules == {
        "beyond53": 1, "max64": "18446744073709551615", "equal": 0,
        "lows": [250, 500, 1000, 2000, 4000, 4000, 4000], "highs": [500, 1000, 2000, 4000, 8000, 8000, 8000],
        "afterReset": 250,
    }, modules
    ok("ids and backoff modules")

    await join_room(alice, 1)
    await join_room(bob, 1)
    assert await alice.eval(chat_item_js("r:1", "dataset.kind")) == "room"
    ok("join room")

    await alice.send_message("Hello Bob 👋")
    await bob.wait(f"{texts_js('.msg.other')}.includes('Hello Bob 👋')", "alice's message at bob")
    assert await alice.eval("document.getElementById('composer-input').value") == ""
    ok("send with Enter and receive")

    # bob is reading room 1: his page sends `read`, alice's message turns ✓✓.
    await alice.wait(f"({own_status_js('Hello Bob 👋')}) === 'read ✓✓'", "read ticks")
    # bob looks elsewhere (a new DM by name): the next message stays ✓ and counts as unread for him.
    await bob.type_into("#dm-user", "alice")
    await bob.click("#dm-submit")
    await bob.wait(f"document.getElementById('chat').dataset.key === 'd:{alice_uid}'", "DM with alice open")
    await alice.send_message("Are you there?")
    await alice.holds(f"({own_status_js('Are you there?')}) === 'sent ✓'", "single tick while unread", 1.0)
    await bob.wait(f"{chat_item_js('r:1', 'dataset.unread')} === '1'", "unread badge 1")
    assert await bob.eval(chat_item_js("r:1", "querySelector('.badge').textContent")) == "1"
    assert "Are you there?" in await bob.eval(chat_item_js("r:1", "querySelector('.chat-item-preview').textContent"))
    assert (await bob.eval("document.title")).startswith("(1)")
    await bob.open_chat("r:1")
    await bob.wait(f"{chat_item_js('r:1', 'dataset.unread')} === '0'", "unread cleared on open")
    await alice.wait(f"({own_status_js('Are you there?')}) === 'read ✓✓'", "read ticks after opening")
    ok("sent and read ticks, unread badge")

    # typing: bob types without sending; alice's header says so; his message clears it.
    await bob.type_into("#composer-input", "Yes, here")
    await alice.wait("document.getElementById('chat-sub').classList.contains('typing')"
                     " && /is typing/.test(document.getElementById('chat-sub').textContent)", "typing indicator")
    await bob.press_enter()
    await alice.wait(f"{texts_js('.msg.other')}.includes('Yes, here')", "bob's reply")
    await alice.wait("!document.getElementById('chat-sub').classList.contains('typing')", "typing cleared")
    ok("typing indicator")

    # DM: bob messages alice; her list shows it with a badge and bob's online dot.
    await bob.open_chat(f"d:{alice_uid}")
    await bob.send_message("psst, a DM")
    dm = f"d:{bob_uid}"
    await alice.wait(f"{chat_item_js(dm, 'dataset.unread')} === '1'", "DM unread badge")
    dot_hidden = chat_item_js(dm, "querySelector('.dot').hidden")
    await alice.wait(f"{chat_item_js(dm, 'dataset.online')} === '1' && {dot_hidden} === false", "bob's online dot")
    await alice.open_chat(f"{dm}")
    await alice.wait(f"{texts_js()}.includes('psst, a DM')", "DM shown")
    assert await alice.eval("document.getElementById('chat-sub').textContent") == "online"
    await alice.wait(f"{chat_item_js(dm, 'dataset.unread')} === '0'", "DM read")
    await alice.open_chat("r:1")
    await alice.wait("document.getElementById('chat-sub').textContent === '2 members'", "member count refreshed on open")
    await bob.open_chat("r:1")
    ok("direct message with unread badge and online dot")

    # edit: alice edits her first message; bob sees the new text marked as edited.
    await alice.eval("[...document.querySelectorAll('#message-list .msg.own')].find(m =>"
                     " m.querySelector('.text').textContent === 'Hello Bob 👋').querySelector('.edit').click()")
    await alice.wait("!document.getElementById('edit-bar').hidden", "edit bar")
    await alice.type_into("#composer-input", "Hello Bob (edited)")
    await alice.press_enter()
    await bob.wait("[...document.querySelectorAll('#message-list .msg.other')].some(m =>"
                   " m.querySelector('.text').textContent === 'Hello Bob (edited)'"
                   " && !m.querySelector('.edited').hidden)", "edited message at bob")
    assert "Hello Bob 👋" not in await bob.eval(texts_js())
    ok("edit own message")

    # HTML and script in a message are text.
    await alice.send_message(XSS)
    await bob.wait(f"{texts_js()}.includes({json.dumps(XSS)})", "html message at bob")
    checks = await bob.eval(f"""(() => {{
        const node = [...document.querySelectorAll('#message-list .msg .text')].find(t => t.textContent === {json.dumps(XSS)});
        return {{
            bold: document.querySelectorAll('#message-list b, #chat-list b').length,
            scripts: document.querySelectorAll('body script').length,
            textOnly: [...node.childNodes].every(n => n.nodeType === Node.TEXT_NODE),
            preview: document.querySelector('.chat-item[data-key="r:1"] .chat-item-text').textContent,
        }};
    }})()""")
    assert checks == {"bold": 0, "scripts": 0, "textOnly": True, "preview": XSS}, checks
    assert not bob.dialogs and not alice.dialogs, (bob.dialogs, alice.dialogs)
    ok("html shown as text")

    # history paging: 120 messages in room 2, the page loads older ones when scrolled up.
    await prefill(2, 120)
    await join_room(alice, 2)
    await alice.wait(f"{texts_js()}.length >= 50", "first page")
    expected = [f"p{i:03d}" for i in range(120)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        shown = await alice.eval(texts_js())
        if shown == expected:
            break
        await alice.eval("(() => { const s = document.getElementById('messages'); s.scrollTop = 0;"
                         " s.dispatchEvent(new Event('scroll')); })()")
        await asyncio.sleep(0.1)
    assert await alice.eval(texts_js()) == expected, "history pages out of order or incomplete"
    await alice.wait("document.getElementById('older').textContent === 'Beginning of the conversation'", "end of history")
    ok("history paging upward")

    await alice.click("#leave")
    await alice.wait(f"!{chat_item_js('r:2', 'dataset.key')} && document.getElementById('chat').hidden", "room 2 gone")
    assert await alice.eval("window.__chat.sent().some(c => c.t === 'leave' && c.room === 2)")
    await alice.open_chat("r:1")
    ok("leave room")

    # token login: a forged token is refused by the node (back to login with a notice); a real one works.
    dave = await browser.new_page("dave")
    await dave.navigate(f"{BASE}/")
    await dave.wait("document.body.dataset.screen === 'login'", "login screen")
    await dave.click("#login-switch")
    await dave.wait("!document.getElementById('login-token-row').hidden", "token field")
    await dave.type_into("#login-token", forged_token())
    await dave.click("#login-submit")
    await dave.wait("document.body.dataset.screen === 'login'"
                    " && /refused/.test(document.getElementById('login-error').textContent)", "refusal notice")
    await dave.screenshot(os.path.join(ARTIFACTS, "login.png"))
    await dave.click("#login-switch")
    await dave.type_into("#login-token", dev_uid("dave")["token"])
    await dave.click("#login-submit")
    await dave.wait("document.body.dataset.conn === 'online'"
                    " && document.getElementById('me-name').textContent === 'dave'", "dave online by token")
    await browser.call("Target.closeTarget", {"targetId": dave.target})
    ok("token login")

    # a cut socket: bob's connection drops, alice sends, bob reconnects and rejoins with since/epoch.
    before = await bob.eval("window.__chat.sent().length")
    assert await bob.eval("window.__chat.debugDisconnect(1500)")
    await bob.wait("document.body.dataset.conn !== 'online'"
                   " && /Connecting/.test(document.getElementById('conn-banner').textContent)"
                   " && !document.getElementById('conn-banner').hidden", "Connecting… banner")
    missed = ["while you were away 1", "while you were away 2", "while you were away 3"]
    for text in missed:
        await alice.send_message(text)
    assert await bob.eval("document.body.dataset.conn") != "online", "bob reconnected too early for the check"
    await bob.wait("document.body.dataset.conn === 'online'", "bob back online", timeout=15)
    await bob.wait(f"{json.dumps(missed)}.every(t => {texts_js()}.includes(t))", "missed messages after reconnect")
    shown = await bob.eval(texts_js())
    assert all(shown.count(t) == 1 for t in missed) and shown[-3:] == missed, shown[-6:]
    rejoin = await bob.eval(f"window.__chat.sent().slice({before}).find(c => c.t === 'join' && c.room === 1)")
    assert rejoin and rejoin.get("since") and rejoin.get("epoch"), rejoin
    assert await bob.eval("document.getElementById('conn-banner').hidden")
    ok("reconnect after a cut socket shows missed messages")

    # offline: the browser loses the network; "Waiting for network"; back online, nothing is missed.
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    await bob.call("Network.emulateNetworkConditions", offline)
    await bob.wait("navigator.onLine === false && document.body.dataset.conn === 'waiting'"
                   " && /Waiting for network/.test(document.getElementById('conn-banner').textContent)",
                   "Waiting for network banner")
    await alice.send_message("sent while bob was offline")
    await bob.type_into("#composer-input", "queued while offline")
    await bob.press_enter()
    await bob.wait(f"({own_status_js('queued while offline')}) === 'pending ◷'", "pending clock while offline")
    await bob.holds("document.body.dataset.conn === 'waiting'", "waiting while offline", 0.5)
    await bob.call("Network.emulateNetworkConditions", dict(offline, offline=False))
    await bob.wait("document.body.dataset.conn === 'online'", "online again")
    await bob.wait(f"{texts_js()}.filter(t => t === 'sent while bob was offline').length === 1", "message missed offline")
    await bob.wait(f"['sent ✓', 'read ✓✓'].includes({own_status_js('queued while offline')})", "queued message sent")
    await alice.wait(f"{texts_js()}.filter(t => t === 'queued while offline').length === 1", "bob's queued message")
    ok("waiting for network, then resume")

    await alice.wait(f"({own_status_js('sent while bob was offline')}) === 'read ✓✓'", "read after resume")

    # a reload keeps the session (sessionStorage) and resumes room 1 from its stored since/epoch.
    await bob.call("Page.reload")
    await bob.wait("document.readyState === 'complete' && document.body.dataset.conn === 'online'"
                   " && document.getElementById('chat').dataset.key === 'r:1'", "bob back after reload")
    await bob.wait(f"{texts_js()}.includes('queued while offline') && {texts_js()}.includes('Yes, here')",
                   "room 1 history after reload")
    rejoin = await bob.eval("window.__chat.sent().find(c => c.t === 'join' && c.room === 1)")
    assert rejoin and rejoin.get("since") and rejoin.get("epoch"), rejoin
    assert await bob.eval(own_status_js("Yes, here")) == "read ✓✓", "read ticks lost on reload"
    ok("reload keeps the session and resumes")
    await alice.screenshot(os.path.join(ARTIFACTS, "chat.png"))
    await bob.screenshot(os.path.join(ARTIFACTS, "chat-bob.png"))
    ok("screenshot")

    # degraded mode: connections fill the node (MAX_CONNECTIONS=64); the load monitor goes
    # critical within its 1 s sampling and the pages show the node's `mode` as a banner.
    flood = []
    banner = ("!document.getElementById('mode-banner').hidden"
              " && document.getElementById('mode-banner').dataset.level === 'critical'"
              " && /typing/.test(document.getElementById('mode-banner').textContent)")
    try:
        # Keep the node full: connections over the limit are closed at once, and idle HTTP
        # connections of the pages close on their own, so top up until the level turns.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not await alice.eval(banner):
            for _ in range(10 if len(flood) < 400 else 0):
                try:
                    flood.append(socket.create_connection(("127.0.0.1", PORT), timeout=1))
                except OSError:
                    break
            await asyncio.sleep(0.3)
        for page in (alice, bob):
            await page.wait(banner, "degraded mode banner", timeout=5)
        assert await alice.eval("[...document.querySelectorAll('#message-list .msg.own .edit')].every(b => b.hidden)")
        await alice.screenshot(os.path.join(ARTIFACTS, "chat-degraded.png"))
    finally:
        for s in flood:
            s.close()
    ok("degraded mode banner")

    for page in (alice, bob, dave):
        assert not page.exceptions, f"{page.name}: uncaught exceptions {page.exceptions}"
        assert not page.console_errors, f"{page.name}: console errors {page.console_errors}"
    ok("no page errors")


async def main():
    profile = tempfile.mkdtemp(prefix="chat-browser-")
    process = None
    try:
        process, url = launch_chromium(profile)
        async with connect(url, max_size=64 << 20, ping_interval=None) as ws:
            browser = Browser(ws)
            await asyncio.wait_for(run(browser), 240)
    finally:
        if process:
            stop_group(process)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except AssertionError as error:
        print(f"FAILED: {error}", flush=True)
        sys.exit(1)
