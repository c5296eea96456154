#!/usr/bin/env python3
"""make browser-test: headless Chromium against a real `annotate serve`.

1. Starts `annotate serve --no-process` on a free port over a fresh home.
2. Drives Chromium over the DevTools protocol (a stdlib WebSocket client, no packages): loads /,
   puts the 12 sample photos into the form's file input and submits the form.
3. Loads /gallery (all pending), runs `annotate process` beside it, and waits for the page's own
   polling script to turn every card completed and show its thumbnail, without a reload.
4. Checks with `chromium --dump-dom` that /gallery and an image page, loaded fresh, show the
   thumbnails, captions and no error text, and that no Content-Security-Policy violation was logged.
Screenshots go to .build/screenshots/ for people to look at.

usage: browser-test.py ANNOTATE_BINARY
"""
import base64
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, ".build", "screenshots")
SAMPLES = sorted(glob.glob(os.path.join(ROOT, "demo", "*.*")))
SAMPLES = [p for p in SAMPLES if p.lower().endswith((".jpg", ".png", ".webp"))]


def fail(message):
    print("browser-test: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    fail("chromium is not installed (apt-get install -y chromium; make browser-test-deps)")


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: text frames, client masking."""

    def __init__(self, url):
        match = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self.sock = socket.create_connection((host, port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        if b" 101 " not in response.split(b"\r\n")[0]:
            fail("DevTools refused the WebSocket: " + response.decode(errors="replace"))

    def send(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                fail("DevTools closed the connection")
            data += chunk
        return data

    def receive(self):
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            payload = self._exact(n)
            opcode = first & 0x0F
            if opcode == 0x8:
                fail("DevTools closed the WebSocket")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if first & 0x80:
                return message.decode()


class Browser:
    def __init__(self, profile):
        self.process = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1280,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        endpoint = None
        deadline = time.time() + 30
        while time.time() < deadline and endpoint is None:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                endpoint = match.group(1)
        if endpoint is None:
            fail("chromium did not start its DevTools endpoint")
        port = re.match(r"ws://[^:]+:(\d+)/", endpoint).group(1)
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Log.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    fail(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for_event(self, name, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, event in enumerate(self.events):
                if event.get("method") == name:
                    del self.events[: i + 1]
                    return event
            self.events.append(json.loads(self.ws.receive()))
        fail(f"no {name} within {timeout} s")

    def navigate(self, url):
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            fail(f"script failed: {expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, name):
        height = self.evaluate("document.documentElement.scrollHeight")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=min(int(height), 6000), deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        self.call("Emulation.clearDeviceMetricsOverride")
        return path

    def csp_violations(self):
        texts = []
        for event in self.events:
            params = event.get("params", {})
            entry = params.get("entry", {})
            texts.append(entry.get("text", ""))
            for arg in params.get("args", []):
                texts.append(str(arg.get("value", "")))
        return [t for t in texts if "Content Security Policy" in t or "Content-Security-Policy" in t]

    def close(self):
        self.process.kill()
        self.process.wait()


def dump_dom(url):
    result = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                             "--dump-dom", url], capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or "<html" not in result.stdout:
        fail(f"chromium --dump-dom {url} failed: {result.stderr[-500:]}")
    return result.stdout


def main():
    if len(sys.argv) != 2:
        fail("usage: browser-test.py ANNOTATE_BINARY")
    binary = os.path.abspath(sys.argv[1])
    if len(SAMPLES) != 12:
        fail(f"expected the 12 sample photos in demo/, found {len(SAMPLES)}")
    work = tempfile.mkdtemp(prefix="annotate-browser-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNOTATE_", "GEMINI_", "OPENAI_", "DB_"))}
    env.update(ANNOTATE_HOME=os.path.join(work, "home"), ANNOTATE_ANNOTATOR="metadata")
    server = subprocess.Popen([binary, "serve", "--port", "0", "--no-process", "--drain-delay", "0s"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    browser = None
    try:
        line = server.stdout.readline()
        match = re.match(r"Listening on (http://\S+)", line)
        if not match:
            fail(f"serve did not start: {line} {server.stderr.read() if server.poll() is not None else ''}")
        base = match.group(1)
        print(f"browser-test: serve at {base}")
        browser = Browser(os.path.join(work, "profile"))

        # 1. The upload form, filled and submitted as a person would.
        started = time.time()
        browser.navigate(base + "/")
        browser.screenshot("1-upload-form.png")
        document = browser.call("DOM.getDocument")["root"]["nodeId"]
        field = browser.call("DOM.querySelector", nodeId=document, selector="input[type=file]")["nodeId"]
        if not field:
            fail("the upload page has no file input")
        browser.call("DOM.setFileInputFiles", nodeId=field, files=SAMPLES)
        browser.events = [e for e in browser.events if e.get("method") != "Page.loadEventFired"]
        browser.evaluate("document.querySelector('form.upload button[type=submit]').click()")
        browser.wait_for_event("Page.loadEventFired", timeout=60)
        landed = browser.evaluate("location.pathname")
        if landed != "/gallery":
            fail(f"after the upload the browser is at {landed}, not /gallery: "
                 + str(browser.evaluate("document.body.innerText"))[:500])
        cards = browser.evaluate("document.querySelectorAll('li.card').length")
        pending = browser.evaluate("document.querySelectorAll('li.card[data-annotation=pending]').length")
        print(f"browser-test: uploaded {len(SAMPLES)} photos through the form in {time.time() - started:.1f} s; gallery shows {cards} cards, {pending} pending")
        if cards != 12 or pending != 12:
            fail(f"expected 12 pending cards, saw {cards} cards, {pending} pending")

        # 2. Processing elsewhere; the open page updates itself by polling.
        processed = subprocess.run([binary, "process"], env=env, capture_output=True, text=True, timeout=300)
        if processed.returncode != 0:
            fail(f"annotate process failed: {processed.stderr}")
        deadline = time.time() + 40
        done = 0
        while time.time() < deadline:
            done = browser.evaluate("document.querySelectorAll('li.card[data-annotation=completed][data-thumbnail=completed]').length")
            loaded = browser.evaluate("Array.from(document.querySelectorAll('li.card img')).filter(i => i.complete && i.naturalWidth > 0).length")
            if done == 12 and loaded == 12:
                break
            browser.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            time.sleep(0.5)
        else:
            fail(f"the open gallery page did not update itself: {done} of 12 cards completed")
        print("browser-test: the open gallery updated all 12 cards in place (thumbnails loaded, captions shown)")
        browser.evaluate("window.scrollTo(0, 0)")
        print("browser-test: screenshot " + browser.screenshot("2-gallery-live.png"))
        browser.navigate(base + "/images/1")
        original = browser.evaluate("(() => { const i = document.querySelector('.detail img'); return i && i.complete ? i.naturalWidth : 0 })()")
        if not original:
            fail("the image page's original did not load")
        print("browser-test: screenshot " + browser.screenshot("3-image-page.png"))
        violations = browser.csp_violations()
        if violations:
            fail("Content-Security-Policy violations: " + "; ".join(violations[:5]))

        # 3. Fresh loads, read from the DOM as Chromium built it.
        gallery = dump_dom(base + "/gallery")
        thumbnails = set(re.findall(r'<img src="/media/(\d+)/thumbnail"', gallery))
        captions = re.findall(r'<p class="caption">([^<]+)</p>', gallery)
        errors = re.findall(r'class="error"', gallery)
        names = [os.path.basename(p) for p in SAMPLES]
        missing = [n for n in names if n not in gallery]
        print(f"browser-test: --dump-dom /gallery: {len(thumbnails)} thumbnails, {len(captions)} captions, {len(errors)} errors")
        if len(thumbnails) != 12 or len(captions) != 12 or errors or missing or '="failed"' in gallery:
            fail(f"gallery DOM: thumbnails {sorted(thumbnails)}, captions {len(captions)}, errors {len(errors)}, missing names {missing}")
        page = dump_dom(base + "/images/1")
        if '<img src="/media/1/original"' not in page or 'class="caption"' not in page or 'class="error"' in page:
            fail("image page DOM lacks the original or the caption, or shows an error")
        print("browser-test: --dump-dom /images/1: original and caption present, no errors")
        print("browser-test: PASS")
    finally:
        if browser:
            browser.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
