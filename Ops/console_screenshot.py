"""Drives headless Chromium through the Chrome DevTools Protocol: logs in to a running
Ferry console and screenshots pages. Standard library only (a small WebSocket client).

Usage: console_screenshot.py CHROMIUM BASE_URL USER PASSWORD OUT_DIR NAME=PATH...

Each page is also read back as Chromium parsed it, and the run fails when text from the
data became markup (issue 16): an element the console never writes, a table row hidden by
a style, a page that navigated away, a search box that does not hold what was searched
for, or a page without its stylesheet (the CSP allows only /console.css).
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

chromium, base, user, password, out_dir = sys.argv[1:6]
shots = [arg.split("=", 1) for arg in sys.argv[6:]]
port = 9333


class WebSocket:
    def __init__(self, url):
        host, path = url[len("ws://"):].split("/", 1)
        name, number = host.split(":")
        self.sock = socket.create_connection((name, int(number)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(4096)
        self.buffer = answer.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("the browser closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def message(self):
        parts = []
        while True:
            first, second = self.read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.read(8))[0]
            parts.append(self.read(length))
            if first & 0x80:
                return b"".join(parts).decode()

    def call(self, method, **params):
        self.next_id += 1
        self.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.message())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})


profile = tempfile.mkdtemp(prefix="ferry-chromium-")
browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "--window-size=1440,1000",
                            "--force-device-scale-factor=1", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
            page = next(t for t in targets if t["type"] == "page")
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit("chromium did not start")
    ws = WebSocket(page["webSocketDebuggerUrl"])
    ws.call("Page.enable")
    ws.call("Emulation.setDeviceMetricsOverride", width=1440, height=1000, deviceScaleFactor=1, mobile=False)

    def visit(url):
        ws.call("Page.navigate", url=url)
        for _ in range(100):
            state = ws.call("Runtime.evaluate", expression="document.readyState")["result"]["value"]
            if state == "complete":
                return
            time.sleep(0.1)

    visit(base + "/login")
    ws.call("Runtime.evaluate", expression=(
        f"document.querySelector('input[name=user]').value = {json.dumps(user)};"
        f"document.querySelector('input[name=password]').value = {json.dumps(password)};"
        "document.querySelector('form.login').submit();"))
    time.sleep(2)
    where = ws.call("Runtime.evaluate", expression="location.pathname")["result"]["value"]
    if where == "/login":
        sys.exit("the login failed")
    # Evaluated in the page: what would show that data became markup.
    inspect = """(() => {
        const foreign = [...document.querySelectorAll('img, style, script, base, iframe, object, embed, meta[http-equiv], [onerror], [data-x]')]
            .map(e => e.outerHTML.slice(0, 80));
        const links = [...document.querySelectorAll('link')].filter(l => l.getAttribute('href') !== '/console.css').map(l => l.outerHTML);
        const hidden = [...document.querySelectorAll('tr')].filter(r => getComputedStyle(r).display === 'none').length;
        const params = new URLSearchParams(location.search);
        const echoed = [...document.querySelectorAll('form.filters input[name]')]
            .filter(i => i.value !== '' && params.has(i.name) && params.get(i.name) !== i.value).map(i => i.name);
        const styled = [...document.styleSheets].some(s => s.href && s.href.endsWith('/console.css') && s.cssRules.length > 0);
        return JSON.stringify({path: location.pathname + location.search, foreign: foreign.concat(links), hidden, echoed, styled,
            rows: document.querySelectorAll('tr').length});
    })()"""
    failures = []
    for name, path in shots:
        # Back to the window's height, so a short page is not captured as tall as the last one.
        ws.call("Emulation.setDeviceMetricsOverride", width=1440, height=1000, deviceScaleFactor=1, mobile=False)
        visit(base + path)
        # Long enough for a <meta http-equiv=refresh content=0> to have moved the page.
        time.sleep(1.0)
        found = json.loads(ws.call("Runtime.evaluate", expression=inspect)["result"]["value"])
        problems = [f"{what}: {found[what]}" for what in ("foreign", "echoed") if found[what]]
        if found["hidden"]:
            problems.append(f"{found['hidden']} table rows hidden")
        if found["path"] != path:
            problems.append(f"the page moved to {found['path']}")
        if not found["styled"]:
            problems.append("/console.css did not load")
        if problems:
            # No screenshot: a page that refreshes itself may never settle for one.
            failures.append(f"{name}: " + "; ".join(problems))
            print(failures[-1])
            continue
        print(f"{name}: {found['rows']} table rows, none hidden, styled")
        height = ws.call("Runtime.evaluate", expression="document.documentElement.scrollHeight")["result"]["value"]
        ws.call("Emulation.setDeviceMetricsOverride", width=1440, height=min(max(height, 700), 2400), deviceScaleFactor=1, mobile=False)
        shot = ws.call("Page.captureScreenshot", format="png")
        with open(os.path.join(out_dir, name), "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        print(f"wrote {os.path.join(out_dir, name)}")
    if failures:
        sys.exit("text from the data became markup:\n" + "\n".join(failures))
finally:
    browser.terminate()
    browser.wait()
