#!/usr/bin/env python3
"""Screenshots of the main pages for docs/screenshots, driven through chromedriver's
WebDriver protocol with the standard library only.

Usage: scripts/screenshots.py BASE_URL OUT_DIR SHOT...
where SHOT is NAME:USERNAME:PASSWORD:PATH:WIDTHxHEIGHT (PASSWORD may be empty for no login).
Needs Debian's chromium and chromium-driver; starts chromedriver itself.
"""
import base64, json, os, socket, subprocess, sys, tempfile, time, urllib.request

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

class Driver:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(["chromedriver", f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
                     f"--user-data-dir={tempfile.mkdtemp()}"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"{}").get("value", {})

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def find(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(el.values()))

    def quit(self):
        try:
            self.s("DELETE", "")
        finally:
            self.proc.terminate()

def shoot(d, base, out_dir, spec):
    name, user, password, path, size = spec.split(":", 4)
    width, height = (int(x) for x in size.split("x"))
    d.s("POST", "/window/rect", {"width": width, "height": height})
    d.s("DELETE", "/cookie")
    if password:
        d.s("POST", "/url", {"url": base + "/"})
        d.s("POST", f"/element/{d.find('#username')}/value", {"text": user})
        d.s("POST", f"/element/{d.find('#password')}/value", {"text": password})
        d.s("POST", f"/element/{d.find('form button[type=submit]')}/click", {})
        time.sleep(0.5)
    d.s("POST", "/url", {"url": base + path})
    time.sleep(0.5)
    # Full page height, so the screenshot shows the whole page.
    full = d.s("POST", "/execute/sync", {"script": "return document.documentElement.scrollHeight", "args": []})
    d.s("POST", "/window/rect", {"width": width, "height": max(height, min(int(full) + 140, 4000))})
    png = base64.b64decode(d.s("GET", "/screenshot"))
    out = os.path.join(out_dir, f"{name}.png")
    with open(out, "wb") as f:
        f.write(png)
    print(out)

if __name__ == "__main__":
    base, out_dir, shots = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    d = Driver()
    try:
        for spec in shots:
            shoot(d, base, out_dir, spec)
    finally:
        d.quit()
