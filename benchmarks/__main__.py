"""``python -m benchmarks [NAME ...]``: run every benchmark, or the named ones."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks import BENCHMARKS


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return the worst exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, (module, extra) in BENCHMARKS.items():
            print(f"{name:24} {module} {' '.join(extra)}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (see --list)")
    status = 0
    for name in args.names or list(BENCHMARKS):
        module, extra = BENCHMARKS[name]
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        code = importlib.import_module(module).main(list(extra))
        print(f"=== {name}: exit {code}, {time.perf_counter() - started:.1f} s ===", flush=True)
        status = max(status, code or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
