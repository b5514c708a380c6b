"""Start Passerelle on the embedded default: migrate, load reference and demo data, then serve.

Run by `make run`. The web server and the scheduler are two processes (a scheduler inside a web
worker would run every job once per worker); Ctrl-C stops both cleanly.

Settings come from the environment, as in production (``PASSERELLE_*``); this script only sets
defaults for a person on their own machine:

- ``PASSERELLE_ENV=development``: the local mailbox, the demo staff's passwords, relaxed cookies;
- ``PASSERELLE_INSTANCE_DIR``: where the SQLite file and the kept mails live (``instance/``);
  both processes get the same absolute path;
- ``PASSERELLE_PORT`` (5000) and ``PASSERELLE_BASE_URL`` (``http://127.0.0.1:<port>``), so that the
  links in the mails point at this server.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
#: Seconds the children get to stop after SIGINT, then after SIGTERM, before being killed.
STOP_GRACE = 10.0
KILL_GRACE = 5.0
_PR_SET_PDEATHSIG = 1
# Stopping on SIGINT is a clean exit, not a failure.
CLEAN_EXITS = {0, -signal.SIGINT, 128 + signal.SIGINT}


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "web", *args]


def _die_with_launcher() -> None:
    """In a child, before exec: get SIGTERM if the launcher dies (Linux), so none outlives it;
    and hear SIGINT as Ctrl-C even when the launcher was started in the background of a script
    (a shell starts those with SIGINT ignored, which a child inherits: Python then installs no
    KeyboardInterrupt handler, and the child ignores the launcher's clean stop)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: Ctrl-C still stops everything
        pass


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PASSERELLE_ENV", "development")
    port = env.setdefault("PASSERELLE_PORT", "5000")
    env.setdefault("PASSERELLE_BASE_URL", f"http://127.0.0.1:{port}")
    instance = Path(env.get("PASSERELLE_INSTANCE_DIR") or ROOT / "instance").resolve()
    env["PASSERELLE_INSTANCE_DIR"] = str(instance)
    # Pages only queue their mails; the jobs' sender sends them (every minute by default). Here a
    # sign-in link should reach the local mailbox in a moment.
    env.setdefault("PASSERELLE_JOB_SCHEDULE", json.dumps({"sender": {"seconds": 2}}))
    return env


def _stop(
    procs: list[subprocess.Popen[bytes]], grace: tuple[float, float] = (STOP_GRACE, KILL_GRACE)
) -> None:
    """Ask each child to stop (SIGINT), then insist (SIGTERM), then kill what is left; ``grace``:
    the seconds given after each of the first two."""
    for sig, wait in zip((signal.SIGINT, signal.SIGTERM), grace, strict=True):
        for p in procs:
            if p.poll() is None:
                p.send_signal(sig)
        deadline = time.monotonic() + wait
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def main() -> int:
    env = _environment()
    port = env["PASSERELLE_PORT"]
    Path(env["PASSERELLE_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)

    try:
        for step in (_flask("init"), _flask("demo")):
            subprocess.run(step, cwd=ROOT, env=env, check=True)
    except subprocess.CalledProcessError as exc:
        print(f"Échec de « {' '.join(exc.cmd[2:])} » (code {exc.returncode}).", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

    stop_requested: list[int] = []

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.append(signum)  # a second Ctrl-C changes nothing: we are stopping

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    # Each child in its own process group: a Ctrl-C reaches the launcher only, which then stops
    # each child exactly once, in order, instead of every process receiving it at once.
    child = {"cwd": ROOT, "env": env, "process_group": 0, "preexec_fn": _die_with_launcher}
    procs = [
        subprocess.Popen(_flask("run", "--host", "127.0.0.1", "--port", port), **child),
        subprocess.Popen([sys.executable, "-m", "jobs"], **child),
    ]
    base = env["PASSERELLE_BASE_URL"]
    print(f"\nPasserelle : {base}  (Ctrl-C pour arrêter)", flush=True)
    if (
        env["PASSERELLE_ENV"] == "development"
        and env.get("PASSERELLE_MAIL_BACKEND", "file") == "file"
    ):
        print(f"Boîte de réception locale : {base}/dev/courriels", flush=True)
    while not stop_requested and all(p.poll() is None for p in procs):
        time.sleep(0.2)
    for name, p in zip(("Le serveur web", "Le planificateur"), procs, strict=True):
        if not stop_requested and p.poll() is not None:
            print(f"{name} s'est arrêté (code {p.returncode}) : arrêt.", file=sys.stderr)
    _stop(procs)
    return 0 if all(p.returncode in CLEAN_EXITS for p in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
