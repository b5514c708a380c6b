"""The engine's command line end to end (issue 21): ``python -m matching suggest`` on the Ain.

5,000 requests x 2,000 offers at scattered points of the Ain (each a commune's centroid moved by
up to 3 km in each direction, so that few records share a point), written as the command
line's JSON files; each run is a new process, timed from its start to its exit (reading,
parsing, ``suggest``, writing to a file). Three ways, interleaved, medians of 3:

* ``import``: the process start and the import of the command line (the floor of any run);
* ``compact``: the default output (the standard library's C encoder);
* ``indented``: ``--indent 2``, the output of earlier versions (the pure-Python encoder).

The ratios are to ``compact`` in the same run. Target of issue 21: the end-to-end run under
1 s.

    .venv/bin/python -m benchmarks cli
"""

from __future__ import annotations

import csv
import json
import random
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


def _timed(command: list[str], out: Path) -> float:
    started = time.perf_counter()
    with out.open("wb") as sink:
        subprocess.run(command, stdout=sink, check=True, cwd=ROOT)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the three ways interleaved; print the medians and the ratios; 0 if under 1 s."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder)
        files = [
            "--offers",
            str(folder / "offers.json"),
            "--requests",
            str(folder / "requests.json"),
        ]
        ways = {
            "import": [sys.executable, "-c", "import matching.cli"],
            "compact": [sys.executable, "-m", "matching", "suggest", *files],
            "indented": [sys.executable, "-m", "matching", "suggest", *files, "--indent", "2"],
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        sizes: dict[str, int] = {}
        for _ in range(3):
            for name, command in ways.items():
                out = folder / f"{name}.json"
                times[name].append(_timed(command, out))
                sizes[name] = out.stat().st_size
        same = json.loads((folder / "compact.json").read_text(encoding="utf-8")) == json.loads(
            (folder / "indented.json").read_text(encoding="utf-8")
        )
    medians = {name: statistics.median(t) for name, t in times.items()}
    print("CLI end to end, 5,000 requests x 2,000 offers scattered in the Ain (median of 3)")
    for name, seconds in medians.items():
        print(
            f"  {name:9} {seconds:6.2f} s  {seconds / medians['compact']:5.2f}x compact"
            f"  output {sizes[name] / 1e6:6.1f} MB"
        )
    print(f"  same data both ways: {same}")
    return 0 if medians["compact"] < 1.0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
