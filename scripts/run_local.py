"""Start Passerelle on the embedded default: migrate, load reference and demo data, then serve.

Run by `make run`. The web server and the scheduler are two processes (a scheduler inside a web
worker would run every job once per worker); Ctrl-C stops both cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "web", *args]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("PASSERELLE_ENV", "development")
    port = env.get("PASSERELLE_PORT", "5000")
    (ROOT / "instance").mkdir(exist_ok=True)

    for step in (_flask("init"), _flask("demo")):
        subprocess.run(step, cwd=ROOT, env=env, check=True)

    procs = [
        subprocess.Popen(_flask("run", "--host", "127.0.0.1", "--port", port), cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env),
    ]
    print(f"\nPasserelle : http://127.0.0.1:{port}  (Ctrl-C pour arrêter)\n", flush=True)

    def _stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, _stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    _stop()
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    # Stopping on SIGINT is a clean exit, not a failure.
    clean = {0, -signal.SIGINT, 128 + signal.SIGINT}
    return 0 if all(p.returncode in clean for p in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
