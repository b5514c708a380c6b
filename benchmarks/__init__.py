"""Performance measurements, run on demand (``make bench``), never in the test suite.

Each benchmark is a module with ``main(argv) -> int``; :data:`BENCHMARKS` maps a name to the
module and its arguments. ``python -m benchmarks`` runs them all, ``python -m benchmarks NAME``
one of them, ``python -m benchmarks --list`` lists them. Every figure is reported as a ratio
against a baseline measured in the same run (see benchmarks/README.md).
"""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

#: name -> (module, arguments given to its ``main``).
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "matching-ain": ("benchmarks.bench_matching", ["ain"]),
    "matching-ain-scattered": ("benchmarks.bench_matching", ["ain-scattered"]),
    "matching-france": ("benchmarks.bench_matching", ["france"]),
    "matching-france-scattered": ("benchmarks.bench_matching", ["france-scattered"]),
    "matching-allocation": ("benchmarks.bench_matching", ["allocation"]),
    "matching-allocation-scattered": ("benchmarks.bench_matching", ["allocation-scattered"]),
    "matching-dense": ("benchmarks.bench_matching", ["dense"]),
    "training-ain": ("benchmarks.bench_training", ["ain"]),
    "training-france": ("benchmarks.bench_training", ["france"]),
    "housing-ain": ("benchmarks.bench_housing", ["ain"]),
    "housing-france": ("benchmarks.bench_housing", ["france"]),
    "tutors-ain": ("benchmarks.bench_tutors", ["ain"]),
    "digests": ("benchmarks.bench_digests", []),
    "load": ("benchmarks.bench_load", []),
    "communes": ("benchmarks.bench_communes", []),
    "secret": ("benchmarks.bench_secret", []),
    "cli": ("benchmarks.bench_cli", []),
    "incremental": ("benchmarks.bench_incremental", []),
}
