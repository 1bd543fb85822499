"""Run the dashboard's benchmarks, print their tables and write them to bench/results.md.

    make bench                                   # every benchmark
    .venv/bin/python -m bench.run export         # only the ones named
    .venv/bin/python -m bench.run --list

Adding one: a module in bench/ with a function decorated `@benchmark("name", "what it shows")`
that returns a `Report` (table rows plus a few lines of findings). Modules are imported in name
order; benchmarks run in that order unless names are given.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.md"


@dataclass
class Report:
    """What one benchmark found: a table (column -> value, one dict per row) and its conclusions."""

    rows: list[dict[str, str]]
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    run: Callable[[], Report]


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, description: str) -> Callable[[Callable[[], Report]], Callable[[], Report]]:
    def register(func: Callable[[], Report]) -> Callable[[], Report]:
        if name in REGISTRY:
            raise ValueError(f"Two benchmarks are called {name!r}")
        REGISTRY[name] = Benchmark(name, description, func)
        return func

    return register


def discover() -> None:
    for module in sorted(pkgutil.iter_modules([str(BENCH_DIR)]), key=lambda m: m.name):
        if module.name not in ("run",) and not module.name.startswith("_"):
            importlib.import_module(f"bench.{module.name}")


def table(rows: list[dict[str, str]]) -> list[str]:
    """A Markdown table, padded so it also reads well in a terminal."""
    if not rows:
        return ["(no rows)"]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in columns}
    line = lambda cells: "| " + " | ".join(str(cells.get(c, "")).ljust(widths[c]) for c in columns) + " |"  # noqa: E731 - a one-line helper, clearer next to its use
    return [
        line({c: c for c in columns}),
        "| " + " | ".join("-" * widths[c] for c in columns) + " |",
        *map(line, rows),
    ]


def render(benchmark: Benchmark, report: Report, seconds: float) -> list[str]:
    lines = [f"## {benchmark.name}", "", benchmark.description, "", *table(report.rows), ""]
    lines += [f"- {finding}" for finding in report.findings]
    if report.notes:
        lines += ["", *(f"> {note}" for note in report.notes)]
    lines += ["", f"_Ran in {seconds:.1f} s._", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(BENCH_DIR.parent)}"
    )
    args = parser.parse_args(argv)
    discover()
    if args.list:
        for item in REGISTRY.values():
            print(f"{item.name:12} {item.description}")
        return 0
    unknown = [name for name in args.names if name not in REGISTRY]
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(REGISTRY)})")
    selected = [REGISTRY[name] for name in args.names] if args.names else list(REGISTRY.values())
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}. "
        "Absolute times depend on the machine; the ratios are the point.",
        "",
    ]
    for item in selected:
        print(f"== {item.name}: {item.description}", flush=True)
        started = time.perf_counter()
        report = item.run()
        lines = render(item, report, time.perf_counter() - started)
        print("\n".join(lines[4:]), flush=True)
        out += lines
    if not args.no_write:
        RESULTS.write_text("\n".join(out))
        print(f"Wrote {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    # `python -m bench.run` runs this file as __main__; the benchmark modules register with the
    # module `bench.run`, so run that copy's main().
    from bench.run import main as registered_main

    sys.exit(registered_main())
