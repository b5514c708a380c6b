"""Every command the README shows works as written, from a fresh terminal in the checkout.

The commands are read from README.md itself (its ``sh`` blocks and the command table), so a command
added to the README without a check here fails :func:`test_every_readme_command_is_checked`. Each
one runs as a subprocess with a clean environment (no ``PASSERELLE_SECRET_KEY``, no activated
virtual environment, a fresh instance directory) and placeholders replaced by real values
(``E`` by an address, ``NAME`` by a job...). A few run elsewhere, said with where and why.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from data.db import make_engine
from data.demo import ADMIN_EMAIL
from data.models.mail import JobRun, JobRunStatus
from tests.matching.test_cli import OFFERS, REQUESTS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: The sections whose ``sh`` blocks are for a person's own machine (the rest are for production
#: and for CI, checked elsewhere: see ELSEWHERE).
TIMEOUT = 120

# The README's commands that run elsewhere, and where.
ELSEWHERE = {
    "make run": "tests/test_run_local.py starts scripts/run_local.py, what `make run` runs",
    "make test": "this suite is what `make test` runs; .ci/run calls it on a clean clone",
    "make bench": "on demand, never in the suite (benchmarks/README.md)",
    "make soak": "tests/soak/ runs its short form in the suite; the long form is on demand",
    "make reference": "needs npm and the registries; rebuilds data/reference (its README)",
}


def _readme_commands() -> list[str]:
    """Return the commands of the README's ``sh`` blocks and of its command table, in order."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    production = text.index("## Running in production")
    for match in re.finditer(r"```sh\n(.*?)```", text, re.S):
        if match.start() > production:
            continue  # production and CI set-ups: see test_production_block_is_the_soak_shape
        for line in match.group(1).splitlines():
            command = line.split("  #")[0].strip()
            if command:
                commands.append(command)
    table = text[text.index("## Command-line tools") : text.index("The JSON API lives")]
    for row in table.splitlines():
        if row.startswith("| `"):
            cell = row.split(" | ")[0].removeprefix("| ")
            commands += [c.replace("\\|", "|") for c in re.findall(r"`([^`]+)`", cell)]
    return commands


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A second terminal beside `make run`: the instance `make run` prepared, nothing else set.

    The instance is prepared the way scripts/run_local.py does (development, init, demo); the
    terminal itself has no PASSERELLE_* setting but the instance directory (which the README's
    commands would find at the checkout's ``instance/``), and no activated virtual environment.
    """
    instance = tmp_path_factory.mktemp("readme") / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PASSERELLE_", "VIRTUAL_ENV"))}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PASSERELLE_INSTANCE_DIR"] = str(instance)
    make_run = {**env, "PASSERELLE_ENV": "development"}
    _ok(".venv/bin/flask --app web init", make_run)
    printed = _ok(".venv/bin/flask --app web demo", make_run)
    loaded = re.search(r"Données de démonstration chargées : (.*)", printed)
    assert loaded and not re.search(r"[a-z]+_[a-z]+|\b(offers|employers|users)\b", loaded[1])
    env["MAKE_RUN_PRINTED"] = printed
    return env


def _venv_relative(command: str) -> str:
    """Point ``.venv/bin/`` at the interpreter running the tests (the same venv in CI)."""
    venv = Path(sys.executable).parent
    if (ROOT / ".venv" / "bin").resolve() == venv.resolve():
        return command
    return command.replace(".venv/bin/", f"{venv}/")


def _sh(command: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", _venv_relative(command)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        **kwargs,  # type: ignore[arg-type]
    )


def _ok(command: str, env: dict[str, str]) -> str:
    done = _sh(command, env)
    assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _concrete(command: str, tmp_path: Path) -> list[str]:
    """Return the runnable forms of a README command (placeholders and alternatives expanded)."""
    offers = tmp_path / "O.json"
    requests = tmp_path / "R.json"
    offers.write_text(json.dumps(OFFERS), encoding="utf-8")
    requests.write_text(json.dumps(REQUESTS), encoding="utf-8")
    command = command.replace("O.json", str(offers)).replace("R.json", str(requests))
    command = command.replace(" [--seed N]", " --seed 3")
    if "[--new-staff-secrets]" in command:
        return [command.replace(" [--new-staff-secrets]", "")]
    if "--role coordinator|admin" in command:
        return [
            command.replace("--email E", "--email coord@example.org").replace(
                "coordinator|admin", "coordinator"
            ),
            command.replace("--email E", "--email admin2@example.org").replace(
                "coordinator|admin", "admin"
            ),
        ]
    if "--role ROLE" in command:
        return [
            command.split(" --role")[0] + f" --role admin --email {ADMIN_EMAIL}",
            command.split(" --role")[0] + " --role employer --employer 1",
            command.split(" --role")[0] + " --role candidate --candidate 1",
        ]
    if "suggest|allocate" in command:
        return [command.replace("suggest|allocate", verb) for verb in ("suggest", "allocate")]
    command = command.replace("--email E", f"--email {ADMIN_EMAIL}")
    return [command.replace("run NAME", "run rematch")]


def test_every_readme_command_is_checked() -> None:
    commands = _readme_commands()
    assert "make run" in commands and "make test" in commands
    unchecked = [c for c in commands if c not in ELSEWHERE and c not in CHECKS]
    assert not unchecked, f"README commands with no check: {unchecked}"
    stale = [c for c in (*CHECKS, *ELSEWHERE) if c not in commands]
    assert not stale, f"checks of commands the README no longer shows: {stale}"


def test_readme_commands_work_as_written(terminal: dict[str, str], tmp_path: Path) -> None:
    """Run the commands in the order a person meets them: set-up first, then the tools."""
    for readme_command in ORDER:
        expected = CHECKS[readme_command]
        for command in _concrete(readme_command, tmp_path):
            if expected == "scheduler":
                _check_scheduler(command, terminal)
                continue
            out = _ok(command, terminal)
            assert re.search(expected, out), f"{command!r} printed:\n{out}"


def _check_scheduler(command: str, env: dict[str, str]) -> None:
    """Start the scheduler as written, see it record a successful run, stop it with Ctrl-C."""
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + _venv_relative(command)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    engine = make_engine(f"sqlite:///{env['PASSERELLE_INSTANCE_DIR']}/passerelle.db")
    try:
        deadline = time.monotonic() + 60
        done: list[JobRun] = []
        while time.monotonic() < deadline and not done and proc.poll() is None:
            time.sleep(0.5)
            with engine.connect() as conn:
                done = list(
                    conn.execute(
                        select(JobRun).where(
                            JobRun.trigger == "scheduler", JobRun.status == JobRunStatus.SUCCESS
                        )
                    )
                )
        assert done, "the scheduler recorded no successful run within a minute"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        engine.dispose()
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out


# Each README command that runs here: what its output must show (a regular expression), in the
# order a person meets them. "scheduler" starts the long-running scheduler, then stops it.
CHECKS: dict[str, str] = {
    ".venv/bin/flask --app web init": r"\S",
    # Beside `make run`, the demo is loaded already: the command says so and adds nothing.
    ".venv/bin/flask --app web demo [--new-staff-secrets]": r"déjà des données",
    "PASSERELLE_ENV=development .venv/bin/flask --app web users totp-code --email "
    + ADMIN_EMAIL: r"^\d{6}$",
    "PASSERELLE_ENV=development .venv/bin/flask --app web users totp-code --email E": r"^\d{6}$",
    ".venv/bin/flask --app web users create-staff --email E --role coordinator|admin": (
        r"Secret TOTP : [A-Z2-7]+"
    ),
    ".venv/bin/flask --app web tokens create --role ROLE [--employer ID | --candidate ID]"
    " [--email E]": (r"Jeton n° \d+ créé"),
    ".venv/bin/python -m jobs list": r"rematch",
    ".venv/bin/python -m jobs run NAME": r"\{.*\}",
    ".venv/bin/python -m jobs": "scheduler",
    ".venv/bin/python -m matching suggest|allocate --offers O.json --requests R.json": r"^\{",
    # Beside `make run` the database has employers: the scaled demo refuses, in French.
    ".venv/bin/flask --app web demo --scale offers=10000,requests=50000 [--seed N]": (
        r"déjà des données"
    ),
}
ORDER = list(CHECKS)


def test_dev_helpers_refuse_outside_development(terminal: dict[str, str]) -> None:
    """Without PASSERELLE_ENV=development, the TOTP helper says why in French (no traceback)."""
    done = _sh(f".venv/bin/flask --app web users totp-code --email {ADMIN_EMAIL}", terminal)
    assert done.returncode != 0
    assert "mode développement" in done.stderr and "Traceback" not in done.stderr


def test_web_server_still_needs_its_secret_in_production(terminal: dict[str, str]) -> None:
    """Commands need no secret key, but serving requests does (`flask run`, a WSGI server)."""
    done = _sh(".venv/bin/flask --app web run --port 1", terminal)
    assert done.returncode != 0 and "PASSERELLE_SECRET_KEY" in done.stderr
    code = "from web import create_app; create_app()"
    done = _sh(f".venv/bin/python -c {shlex.quote(code)}", terminal)
    assert done.returncode != 0 and "PASSERELLE_SECRET_KEY" in done.stderr


def test_make_run_prints_a_totp_command_that_works(terminal: dict[str, str]) -> None:
    """The sign-in help that `make run` prints names a command that works as printed."""
    out = terminal["MAKE_RUN_PRINTED"]
    printed = [line.strip() for line in out.splitlines() if "users totp-code" in line]
    assert printed, out
    assert re.fullmatch(r"\d{6}\n", _ok(printed[0], terminal))
