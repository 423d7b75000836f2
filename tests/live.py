"""A real server on 127.0.0.1 for browser and concurrency tests (werkzeug, threaded)."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
# The marks of a module of browser tests (pytestmark = BROWSER_TESTS).
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
AXE = Path("/tmp/axe/node_modules/axe-core/axe.min.js")
# ... and of one that also checks its pages with axe-core (serious_axe_violations).
AXE_TESTS = [*BROWSER_TESTS,
             pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: "
                                "npm install --prefix /tmp/axe axe-core")]


def redis_is_up() -> bool:
    """Whether a Redis server answers on 127.0.0.1:6379."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app):
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def browser_page(width: int = 360, height: int = 740):
    """A Playwright page in Debian's Chromium at phone size."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def log_in(page, base: str, email: str, password: str = "password123") -> None:
    """Log in on the login page of the server at ``base`` (the users fixture's password)."""
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def csp_violations(page) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on ``page`` from now on (console
    errors such as "Applying inline style violates the following Content Security Policy
    directive ..."): a list that fills as the page runs; a test asserts it stays empty."""
    found: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    return found


def shows(page, text: str) -> None:
    """Assert that ``page`` shows ``text``, waiting (up to Playwright's 5 s) for the page that a
    click or a form submission started to arrive: reading ``page.content()`` right after a
    click may see the document between two pages (empty), a flake seen once in CI."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_contain_text(text)


def page_width(page) -> int:
    """The page's full width in CSS pixels (``scrollWidth``), read once the document that a click
    or a form submission started has loaded: read right after a click, the document element can
    be null between two pages (a flake seen once in CI, "Cannot read properties of null (reading
    'scrollWidth')"). Playwright re-runs the wait in the new document after a navigation."""
    width = page.wait_for_function(
        "() => document.readyState === 'complete' && document.documentElement"
        " ? document.documentElement.scrollWidth : null")
    return int(width.json_value())


@contextmanager
def browser():
    """Debian's Chromium, for pages of several sizes (new_page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(chromium, width: int):
    # bypass_csp: axe-core is injected as a script; the pages' own CSP is checked apart
    # (tests/test_browser_csp.py, and csp_violations on a context without it)
    context = chromium.new_context(viewport={"width": width, "height": 800}, bypass_csp=True,
                                   accept_downloads=True)
    return context.new_page()


def serious_axe_violations(page) -> list[str]:
    """axe-core's critical and serious violations on ``page``, each with where it is."""
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("""async () => (await axe.run(document)).violations
        .filter(v => v.impact === 'critical' || v.impact === 'serious')
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
    return [f"{page.url}: {v}" for v in found]


def shoot(page, shots: Path, name: str, width: int) -> None:
    """A full-page screenshot, and the page no wider than the window (360 px at least)."""
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    assert page_width(page) <= max(width, 360), name
