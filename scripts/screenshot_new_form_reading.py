#!/usr/bin/env python3
"""Screenshots of the new-declaration form reading a certificate as soon as it is chosen
(识别结果，请核对), after 填入 was tapped for every field, on a desktop and a phone.

Usage: scripts/screenshot_new_form_reading.py BASE_URL OUT_DIR USERNAME PASSWORD CERTIFICATE
Needs a server with reading on (tesseract-ocr, tesseract-ocr-chi-sim) and Debian's chromium
and chromium-driver.
"""
import base64, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screenshots import Driver

def run(d, base, out, user, password, certificate, name, width, height):
    d.s("POST", "/window/rect", {"width": width, "height": height})
    d.s("DELETE", "/cookie")
    d.s("POST", "/url", {"url": base + "/"})
    d.s("POST", f"/element/{d.find('#username')}/value", {"text": user})
    d.s("POST", f"/element/{d.find('#password')}/value", {"text": password})
    d.s("POST", f"/element/{d.find('form button[type=submit]')}/click", {})
    time.sleep(0.5)
    d.s("POST", "/url", {"url": base + "/declarations/new"})
    time.sleep(0.5)
    d.s("POST", f"/element/{d.find('#certificate')}/value", {"text": os.path.abspath(certificate)})
    script = "return (document.getElementById('certificate-reading') || {}).textContent || ''"
    for _ in range(120):
        text = d.s("POST", "/execute/sync", {"script": script, "args": []})
        if "已识别" in text or "未能识别" in text:
            break
        time.sleep(0.5)
    else:
        sys.exit("the certificate was not read within a minute")
    d.s("POST", "/execute/sync", {"script":
        "document.querySelectorAll('#certificate-reading [data-fill-fields]').forEach(b => b.click());"
        "document.getElementById('title').scrollIntoView();", "args": []})
    full = d.s("POST", "/execute/sync", {"script": "return document.documentElement.scrollHeight", "args": []})
    d.s("POST", "/window/rect", {"width": width, "height": max(height, min(int(full) + 140, 4000))})
    path = os.path.join(out, f"{name}.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(d.s("GET", "/screenshot")))
    print(path)

if __name__ == "__main__":
    base, out, user, password, certificate = sys.argv[1:6]
    os.makedirs(out, exist_ok=True)
    d = Driver()
    try:
        run(d, base, out, user, password, certificate, "new-form-reading", 1280, 900)
        run(d, base, out, user, password, certificate, "new-form-reading-phone", 390, 844)
    finally:
        d.quit()
