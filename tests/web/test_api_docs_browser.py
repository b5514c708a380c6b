"""The API docs page in chromium: Swagger UI starts under the CSP, offline and accessible."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from web import create_app

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """Serve the app, without a database (the page and the document need none), on a free port."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
            "MAIL_DIR": str(tmp_path / "mail"),
        }
    )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_docs_page_renders_every_operation_without_csp_violation(base_url: str) -> None:
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            document = page.request.get(f"{base_url}/api/openapi.json").json()
            operations = sum(
                1
                for item in document["paths"].values()
                for method in item
                if method in ("get", "post", "put", "patch", "delete")
            )
            assert operations >= 32  # the document lists them all; each must render below
            page.goto(f"{base_url}/api/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            assert page.locator(".opblock").count() == operations
            assert page.locator(".opblock-tag").count() == len(document["tags"]) >= 7
            results = Axe().run(page)
            serious = [
                v["id"]
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        finally:
            browser.close()
    assert problems == []  # a CSP refusal would show here
    assert all(url.startswith(base_url) for url in requests), requests
    assert serious == []
