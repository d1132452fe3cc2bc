"""Make the bench monorepo (scripts/bench/monorepo.py) and time `patchmod status` on it.

    .venv/bin/python scripts/bench_status.py /tmp/big-repo [--scale 1]

The repository (about 3,400 modules and 33 MB at scale 1: workflow modules
with patch sites at every stage, activity and plain modules that status
never parses) is generated once and reused. `make bench` times every
command against its floor; this is the quick look at status alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))

import monorepo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    root: Path = args.root
    if not (root / ".git").exists():
        made = monorepo.generate(root, args.scale)
        print(f"generated {made.modules} modules ({made.bytes / 1e6:.1f} MB, "
              f"{made.workflow_classes} workflow classes) in {root}")
    patchmod = Path(sys.executable).parent / "patchmod"
    for label, extra in (("table", []), ("--json", ["--json"])):
        start = time.perf_counter()
        done = subprocess.run([str(patchmod), "-C", str(root), "status", *extra],
                              capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - start
        print(f"patchmod -C {root} status {' '.join(extra)}: {elapsed:.2f} s; "
              f"{done.stdout.strip().splitlines()[-1] if label == 'table' else len(done.stdout)} "
              f"{'' if label == 'table' else 'bytes of JSON'}")


if __name__ == "__main__":
    main()
