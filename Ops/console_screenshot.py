"""Drives headless Chromium through the Chrome DevTools Protocol: logs in to a running
Ferry console and screenshots pages. Standard library only (a small WebSocket client).

Usage: console_screenshot.py CHROMIUM BASE_URL USER PASSWORD OUT_DIR NAME=PATH...
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
    for name, path in shots:
        visit(base + path)
        time.sleep(0.3)
        height = ws.call("Runtime.evaluate", expression="document.documentElement.scrollHeight")["result"]["value"]
        ws.call("Emulation.setDeviceMetricsOverride", width=1440, height=min(max(height, 700), 2400), deviceScaleFactor=1, mobile=False)
        shot = ws.call("Page.captureScreenshot", format="png")
        with open(os.path.join(out_dir, name), "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        print(f"wrote {os.path.join(out_dir, name)}")
finally:
    browser.terminate()
    browser.wait()
