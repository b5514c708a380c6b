"""A private PostgreSQL server for tests that stop and restart the database under the service.

The machine's shared server (the one ``PASSERELLE_TEST_DATABASE_URL`` names) must never be
stopped by a test; this starts a throw-away one with the machine's PostgreSQL binaries
(``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``, or ``PASSERELLE_PG_BIN``), in a
temporary directory, on a free port of 127.0.0.1, trusting local connections. As root, the
commands run as the ``postgres`` user (PostgreSQL refuses to run as root).

    with PrivatePostgres() as pg:      # initdb + start: about 2 s
        engine = make_engine(pg.url)   # postgresql+psycopg://postgres@127.0.0.1:PORT/passerelle
        pg.stop()                      # immediate shutdown, as a crash or `systemctl restart` does
        pg.start()                     # same data, same port
        pg.restart()                   # both

:func:`available` tells whether the binaries are there; :func:`require` skips a test without
them, or fails it when ``PASSERELLE_REQUIRE_POSTGRES`` is set (CI): never a silent skip there.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["PrivatePostgres", "available", "bin_dir", "free_port", "require"]

DATABASE = "passerelle"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # the account the server runs as when we are root


def bin_dir() -> Path | None:
    """Return the directory of the newest PostgreSQL server binaries on this machine, or None."""
    given = os.environ.get("PASSERELLE_PG_BIN")
    candidates = [Path(given)] if given else []

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.name.split(".") if x.isdigit())

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def available() -> bool:
    """Tell whether a private server can be started here (binaries, and a user to run them)."""
    if bin_dir() is None:
        return False
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        return False
    return shutil.which("runuser") is not None


def require() -> None:
    """Skip the calling test without PostgreSQL binaries; fail it instead in CI."""
    import pytest

    if available():
        return
    message = "PostgreSQL server binaries (initdb, pg_ctl) not found: set PASSERELLE_PG_BIN"
    if os.environ.get("PASSERELLE_REQUIRE_POSTGRES"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL server of our own: ``start()``, ``stop()``, ``restart()``, ``url``, ``close()``.

    The data directory survives ``stop()``: a restart finds the same schema and rows. ``close()``
    (or leaving the ``with`` block) stops the server and removes the directory.
    """

    def __init__(self, port: int | None = None, database: str = DATABASE) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bin = found
        self.port = port or free_port()
        self.database = database
        self.root = Path(tempfile.mkdtemp(prefix="passerelle-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:  # the server's own account must own its directory
            entry = pwd.getpwnam(RUN_AS)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._initialised = False
        self.running = False

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the server's database (psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{tool} failed ({result.returncode}): {result.stderr.strip()}\n{log}".strip()
            )
        return result

    def _init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",  # a throw-away server: no need to wait for the disk
        )
        self._initialised = True

    def start(self) -> PrivatePostgres:
        """Start the server (creating it on first call) and wait until it accepts connections."""
        first = not self._initialised
        if first:
            self._init()
        options = (
            # fsync off is safe here: an immediate stop kills processes, not the OS page cache;
            # synchronous_commit stays on, or a commit acknowledged just before a stop is lost.
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options)
        self.running = True
        if first:
            self._run(
                "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, self.database
            )
        return self

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` kills it as a crash would (connections just drop)."""
        if not self.running:
            return
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")
        self.running = False

    def restart(self, mode: str = "immediate") -> None:
        """Stop the server, then start it again on the same port with the same data."""
        self.stop(mode)
        self.start()

    def close(self) -> None:
        """Stop the server if it runs and remove its directory."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
