"""`make run` end to end: the launcher serves the demo, the scheduler runs, people can sign in.

Starts ``scripts/run_local.py`` as a person would (its own instance directory and port), uses the
real web server over HTTP, then stops it the way a terminal's Ctrl-C does and checks that nothing
is left running. SQLite only: this is the embedded default `make run` gives.
"""

from __future__ import annotations

import fcntl
import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.auth import totp_code
from data.db import make_engine
from data.demo import ADMIN_EMAIL
from data.jobruns import last_runs
from data.models import Offer, OfferStatus

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "gone"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """A cookie-keeping HTTP client that shows redirects instead of following them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Return status, body and Location of GET ``path`` (POST ``form`` when given)."""
        url = path if path.startswith("http") else self.base + path
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as r:
                return r.status, r.read().decode(), r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Location", "")

    def csrf(self, path: str) -> str:
        status, body, _ = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path, Path]]:
    """The launcher, started in its own session; killed with everything it started at the end."""
    port = _free_port()
    instance = tmp_path / "instance"  # absent: the launcher must create it
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(PASSERELLE_INSTANCE_DIR=str(instance), PASSERELLE_PORT=str(port))
    log = tmp_path / "run_local.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "run_local.py")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pids: set[int] = set()
    try:
        yield proc, f"http://127.0.0.1:{port}", instance, log
    finally:
        if proc.poll() is None:
            pids.update(_children(proc.pid))
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in pids:
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)


def _wait_until_served(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail("the web server did not answer in time:\n" + log.read_text(errors="replace"))


def _wait_for(check, what: str, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"waited in vain for {what}")


def test_make_run_serves_the_demo_runs_the_jobs_and_stops_on_ctrl_c(launched) -> None:  # type: ignore[no-untyped-def]
    proc, base, instance, log = launched
    _wait_until_served(proc, base, log)
    web_pid, jobs_pid = _children(proc.pid)
    database = instance / "passerelle.db"
    assert database.is_file()  # the instance directory asked for, not the checkout's

    engine = make_engine(f"sqlite:///{database}")
    try:
        # The public offers: the demo's published offers, one page at a time.
        with Session(engine) as s:
            published = s.scalar(
                select(func.count())
                .select_from(Offer)
                .where(Offer.status == OfferStatus.PUBLISHED, Offer.places_filled < Offer.places)
            )
        assert published > 20
        browser = Browser(base)
        status, offers, _ = browser.request("/offres")
        assert status == 200
        assert f"<strong>{published}</strong> offres trouvées" in offers
        assert offers.count('class="card"') == 20 and "Page suivante" in offers

        # The scheduler is alive: it holds the single-scheduler lock and its sender has run.
        def sender_ran() -> bool:
            with Session(engine) as s:
                return "sender" in last_runs(s)

        _wait_for(sender_ran, "the scheduler's first run")
        with open(f"{database}.scheduler.lock", "a+") as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        engine.dispose()

    # A person signs in as the demo admin with what the terminal showed, code computed as an
    # authenticator app would.
    output = log.read_text(errors="replace")
    admin = output[output.index(ADMIN_EMAIL) :]
    password = re.search(r"Mot de passe : (\S+)", admin).group(1)
    secret = re.search(r"Secret TOTP\s*: (\S+)", admin).group(1)
    staff = Browser(base)
    token = staff.csrf("/connexion/equipe")
    form = {"csrf_token": token, "email": ADMIN_EMAIL, "password": password}
    status, _, location = staff.request(
        "/connexion/equipe", {**form, "code": totp_code(secret, datetime.now(UTC))}
    )
    assert (status, location) == (302, "/coordination/")

    # An employer asks for a link, finds it in the local mailbox and signs in with it.
    employer = re.search(r"<code>([^<]+)</code> \(employeur\)", Browser(base).request("/")[1])
    visitor = Browser(base)
    token = visitor.csrf("/connexion")
    status, sent, _ = visitor.request(
        "/connexion", {"csrf_token": token, "email": employer.group(1)}
    )
    assert status == 200 and "/dev/courriels" in sent
    # The page queued the mail; the jobs' sender (every 2 seconds here) puts it in the mailbox.
    deadline = time.monotonic() + 30
    while "Votre lien de connexion" not in (mailbox := visitor.request("/dev/courriels")[1]):
        assert time.monotonic() < deadline, "the sign-in mail never reached the local mailbox"
        time.sleep(0.5)
    row = re.escape(employer.group(1)) + r'</td><td><a href="(/dev/courriels/[^"]+)">Votre lien'
    mail_page = re.search(row, mailbox).group(1)
    assert employer.group(1) in mailbox
    link = re.search(r'<a href="([^"]+/connexion/lien/[^"]+)"', visitor.request(mail_page)[1])
    link_url = html.unescape(link.group(1))
    assert link_url.startswith(base + "/")  # the mails point at this server, on its port
    token = visitor.csrf(link_url)
    status, _, location = visitor.request(link_url, {"csrf_token": token})
    assert (status, location) == (302, "/employeur/")

    # Ctrl-C in a terminal: SIGINT to the launcher's foreground process group.
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=STOP_TIMEOUT) == 0, log.read_text(errors="replace")[-3000:]
    assert not _alive(web_pid) and not _alive(jobs_pid)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(base.rsplit(":", 1)[1]))) != 0
    assert "scheduler stopped" in log.read_text(errors="replace")
