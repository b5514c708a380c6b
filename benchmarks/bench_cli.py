"""The engine's command line end to end (issue 21): ``python -m matching suggest`` on the Ain.

5,000 requests x 2,000 offers at scattered points of the Ain (each a commune's centroid moved by
up to 3 km in each direction, so that few records share a point), written as the command
line's JSON files; each run is a new process, timed from its start to its exit (reading,
parsing, ``suggest``, writing to a file; its CPU time, user and system, too: steadier on a
busy machine). The ways, interleaved, medians of 3:

* ``import``: the process start and the import of the command line (the floor of any run);
* ``compact``: the default output (orjson when installed);
* ``indented``: ``--indent 2``, the output of earlier versions, for people;
* ``stdlib``: the compact output without orjson (the standard library's C encoder: the
  engine's fallback);
* ``matches``: the compact output explained from the :class:`~matching.Match` objects (what the
  command line did before it explained the lists in bulk from their arrays);
* ``previous`` (with ``--previous REF``, e.g. a commit before issue 21): the command line of
  that git revision (its ``matching`` package extracted with ``git archive``), same inputs.

The ratios are to ``compact`` in the same run; every way must print the same data (and
``previous`` the same text as ``stdlib``). Target of issue 21: the end-to-end run under 1 s.

    .venv/bin/python -m benchmarks cli
    .venv/bin/python -m benchmarks.bench_cli --previous daf7d41
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMUNES = ROOT / "data" / "reference" / "communes.csv"
METIERS = [
    "aide-soignant",
    "accompagnant-educatif-social",
    "assistant-de-vie-aux-familles",
    "educateur-specialise",
    "educateur-jeunes-enfants",
    "moniteur-educateur",
    "assistant-de-service-social",
    "technicien-intervention-sociale-familiale",
]
#: About 3 km of latitude; a little more of longitude at 46° N.
JITTER = (0.027, 0.039)


def _points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    with COMMUNES.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["departement"] == "01" and r["population"]]
    centres = [(float(r["latitude"]), float(r["longitude"])) for r in rows]
    weights = [int(r["population"]) for r in rows]
    return [
        (
            round(lat + rng.uniform(-JITTER[0], JITTER[0]), 5),
            round(lon + rng.uniform(-JITTER[1], JITTER[1]), 5),
        )
        for lat, lon in rng.choices(centres, weights, k=n)
    ]


def write_inputs(folder: Path, requests: int = 5000, offers: int = 2000, seed: int = 21) -> None:
    """Write ``offers.json`` and ``requests.json`` of scattered points of the Ain."""
    rng = random.Random(seed)
    (folder / "offers.json").write_text(
        json.dumps(
            [
                {
                    "id": f"o{i}",
                    "metier": rng.choice(METIERS),
                    "lat": lat,
                    "lon": lon,
                    "places": rng.randint(1, 3),
                }
                for i, (lat, lon) in enumerate(_points(rng, offers))
            ]
        ),
        encoding="utf-8",
    )
    (folder / "requests.json").write_text(
        json.dumps(
            [
                {
                    "id": f"r{i}",
                    "metiers": rng.sample(METIERS, rng.randint(1, 2)),
                    "lat": lat,
                    "lon": lon,
                    "max_km": rng.choice([15, 20, 30, 40]),
                }
                for i, (lat, lon) in enumerate(_points(rng, requests))
            ]
        ),
        encoding="utf-8",
    )


def _timed(command: list[str], out: Path, cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of a run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with out.open("wb") as sink:
        subprocess.run(command, stdout=sink, check=True, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def _previous(ref: str, folder: Path) -> Path:
    """Extract the ``matching`` package of git revision ``ref`` into ``folder``/previous."""
    tree = folder / "previous"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref, "matching"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def main(argv: list[str] | None = None) -> int:
    """Run the ways interleaved; print the medians and the ratios; 0 if under 1 s."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cli")
    parser.add_argument("--previous", metavar="REF", help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder)
        files = [
            "--offers",
            str(folder / "offers.json"),
            "--requests",
            str(folder / "requests.json"),
        ]
        cli = [sys.executable, "-m", "matching", "suggest", *files]
        stdlib = "import sys, matching.cli as c; c._orjson = None; sys.exit(c.main())"
        matches = (
            "import sys, matching.cli as c; c._listed_pairs = lambda *a: None; sys.exit(c.main())"
        )
        ways: dict[str, tuple[list[str], Path]] = {
            "import": ([sys.executable, "-c", "import matching.cli"], ROOT),
            "compact": (cli, ROOT),
            "indented": ([*cli, "--indent", "2"], ROOT),
            "stdlib": ([sys.executable, "-c", stdlib, "suggest", *files], ROOT),
            "matches": ([sys.executable, "-c", matches, "suggest", *files], ROOT),
        }
        if args.previous:
            ways["previous"] = (cli, _previous(args.previous, folder))
        times: dict[str, list[float]] = {name: [] for name in ways}
        cpu: dict[str, list[float]] = {name: [] for name in ways}
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, (command, cwd) in ways.items():
                out = folder / f"{name}.json"
                wall, used = _timed(command, out, cwd)
                times[name].append(wall)
                cpu[name].append(used)
                sizes[name] = out.stat().st_size
        texts = {name: (folder / f"{name}.json").read_bytes() for name in ways if name != "import"}
    data = json.loads(texts["compact"])
    same = all(json.loads(text) == data for text in texts.values())
    if "previous" in texts:
        same = same and texts["previous"] == texts["stdlib"]
    medians = {name: statistics.median(t) for name, t in times.items()}
    print("CLI end to end, 5,000 requests x 2,000 offers scattered in the Ain")
    print(f"  (median of {args.repeat}; CPU: user + system)")
    cpu_medians = {name: statistics.median(t) for name, t in cpu.items()}
    for name, seconds in medians.items():
        print(
            f"  {name:9} {seconds:6.2f} s  {seconds / medians['compact']:5.2f}x compact"
            f"  (CPU {cpu_medians[name]:5.2f} s)  output {sizes[name] / 1e6:6.1f} MB"
        )
    print(f"  same data every way: {same}")
    return 0 if medians["compact"] < 1.0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
