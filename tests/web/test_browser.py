"""The catalogue in a real headless Chromium: the static site and the live server.

Chromium is Debian's package (.ci/run installs it); Playwright drives it
through ``executable_path``, so no browser is downloaded.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import GitRegistry, run_afsreg
from web_fixtures import LiveServer, build_web_registry

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI must install Debian's chromium package (see .ci/run)")
    pytest.skip("no chromium here: apt-get install chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> GitRegistry:
    return build_web_registry(GitRegistry(tmp_path_factory.mktemp("browser") / "registry"))


@pytest.fixture(scope="module")
def site_url(registry: GitRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``afsreg site`` output behind a plain static file server on 127.0.0.1."""
    out = tmp_path_factory.mktemp("site") / "site"
    result = run_afsreg(["site", "-o", str(out)], cwd=registry.root)
    assert result.returncode == 0, result.stderr
    handler = functools.partial(_QuietHandler, directory=str(out))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server_url(registry: GitRegistry) -> Iterator[str]:
    with LiveServer(registry.root) as live:
        yield live.url + "/"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """A page with its console errors and failed requests recorded."""

    def __init__(self, browser: object, shots: Path, **context: object) -> None:
        self.context = browser.new_context(**context)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.shots = shots
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}")
        )

    def go(self, url: str, shot: str | None = None) -> object:
        self.page.goto(url)
        if shot:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.shots / f"{shot}.png"), full_page=True)
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("which", ["site", "server"])
def test_pages_in_chromium(
    which: str, site_url: str, server_url: str, browser: object, tmp_path: Path
) -> None:
    base = site_url if which == "site" else server_url
    visit = Visit(browser, tmp_path / "screenshots", viewport={"width": 1280, "height": 900})
    page = visit.go(base + "index.html", f"{which}-index")

    names = page.locator("#models > li .name").all_inner_texts()  # type: ignore[attr-defined]
    assert sorted(names) == ["coder", "qwen-coder", "tiny-coder"]

    page.fill("#q", "distilled")  # type: ignore[attr-defined]
    assert page.locator("#models > li:visible .name").all_inner_texts() == ["tiny-coder"]  # type: ignore[attr-defined]
    page.fill("#q", "")  # type: ignore[attr-defined]
    page.select_option("#framework", "unsloth")  # type: ignore[attr-defined]
    assert page.locator("#models > li:visible .name").all_inner_texts() == ["coder"]  # type: ignore[attr-defined]
    page.select_option("#framework", "")  # type: ignore[attr-defined]
    page.select_option("#metric", "accuracy")  # type: ignore[attr-defined]
    page.fill("#min", "0.75")  # type: ignore[attr-defined]
    assert page.locator("#models > li:visible .name").all_inner_texts() == ["coder"]  # type: ignore[attr-defined]
    page.fill("#min", "")  # type: ignore[attr-defined]
    page.select_option("#metric", "")  # type: ignore[attr-defined]
    page.select_option("#state", "deployed")  # type: ignore[attr-defined]
    assert sorted(page.locator("#models > li:visible .name").all_inner_texts()) == [  # type: ignore[attr-defined]
        "coder",
        "tiny-coder",
    ]
    page.select_option("#tag", "external")  # type: ignore[attr-defined]
    assert page.locator("#models > li:visible").count() == 0  # type: ignore[attr-defined]
    assert page.locator("#none").is_visible()  # type: ignore[attr-defined]

    model = visit.go(base + "models/coder/index.html", f"{which}-model")
    assert model.locator("svg.chart").count() == 2  # type: ignore[attr-defined]
    assert model.locator("svg.timeline .span").count() == 2  # type: ignore[attr-defined]

    version = visit.go(base + "models/coder/v2.html", f"{which}-version")
    graph = version.locator("svg.lineage")  # type: ignore[attr-defined]
    assert graph.is_visible()
    assert {"coder@v1", "coder@v2", "tiny-coder@v1"} <= set(
        graph.locator(".node title").all_text_contents()
    )
    history = version.locator("#history ol.history > li").all_inner_texts()  # type: ignore[attr-defined]
    assert len(history) == 2 and "Bob Builder" in history[0]
    assert "promotion.state" in history[0]
    visit.go(base + "models/qwen-coder/v1.html", f"{which}-external")

    # Follow every link inside the site from every page: each one answers.
    seen: set[str] = set()
    queue = [base + "index.html"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        current = visit.go(url)
        for href in current.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):  # type: ignore[attr-defined]
            target = urljoin(url, href).split("#")[0]
            if urlsplit(target).netloc == urlsplit(base).netloc and target.endswith(".html"):
                queue.append(target)
    assert base + "models/tiny-coder/v1.html" in seen  # reached through the lineage links
    # The external base in coder@v1's graph links to the registry's record of it.
    coder_v1 = visit.go(base + "models/coder/v1.html")
    assert coder_v1.locator('svg.lineage a[href="../../models/qwen-coder/v1.html"]').count() == 1  # type: ignore[attr-defined]
    assert len(seen) >= 1 + 3 + 4
    assert visit.errors == []
    visit.close()


def test_phone_and_dark(site_url: str, browser: object, tmp_path: Path) -> None:
    visit = Visit(
        browser,
        tmp_path / "screenshots",
        viewport={"width": 390, "height": 844},
        color_scheme="dark",
        is_mobile=True,
    )
    page = visit.go(site_url + "models/coder/v2.html", "phone-dark-version")
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 390, "the page scrolls sideways on a phone"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")  # type: ignore[attr-defined]
    assert background == "rgb(20, 22, 26)"  # the dark palette
    visit.go(site_url + "index.html", "phone-dark-index")
    assert visit.errors == []
    visit.close()
