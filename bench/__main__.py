"""`make bench`: run every benchmark module and merge its figures into var/bench/results.json.

Each module in bench/ named ``bench_*.py`` exposes ``run() -> dict[str, float | int]``.
Run one with ``python -m bench NAME`` (e.g. ``python -m bench import``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench" / "results.json"


def main(argv: list[str]) -> int:
    import bench

    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if len(names) > 1:
        # Each module in a fresh interpreter: what one leaves behind (its Django setup, a large
        # heap that makes every garbage collection slower) must not weigh on the next one's
        # figures. The child merges its own figures into the results file.
        for name in names:
            subprocess.run([sys.executable, "-m", "bench", name], check=True)
        print(f"figures written to {RESULTS}")
        return 0
    for name in names:
        started = time.perf_counter()
        print(f"--- {name}", flush=True)
        figures = importlib.import_module(f"bench.{name}").run()
        for key, value in figures.items():
            print(f"    {key} = {value}", flush=True)
        results.update(figures)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        print(f"    ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"figures written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
