"""`make bench`: patchmod on a synthetic monorepo, beside the floor and the
naive whole-tree codemod.

    .venv/bin/python scripts/bench [--runs 5] [--scale 1] [--memory-scale 3]
                                   [--naive-fraction 0.1] [--json FILE] [--keep DIR]

1. `monorepo.generate()` writes the synthetic repository (about 3,400
   modules, 33 MB, 600 workflow classes, 72 patch ids at every stage) into
   a temporary folder and commits it.
2. Each command runs `--runs` times as a child process (the median is
   reported) and is reset between runs (`git reset --hard`): `status`,
   `check` on a one-file change, `deprecate` of 10 active ids, `remove` of
   10 deprecated ids, `introduce` on one edited file, `patchmod --help`, and
   `verify` of 100 histories (copies of testdata/histories that replay
   against testdata/stages/workflow_3_patch_deprecated.py).
3. Beside each, its floor, measured the same way in the same run: a
   minimal Python program (`floor.py`) that starts, imports libcst, runs
   `git grep -l` of what the command searches for, and parses and
   regenerates (`cst.parse_module(src).code`) exactly the files the command
   changes. status changes none and reads with `ast`: its floor is
   `git grep -l` plus reading and `ast.parse` of every file it lists.
   check/introduce: `git diff --name-only` plus the changed file and its
   base. `--help`'s floor is `python -c pass`; verify's is one process
   replaying the histories with temporalio's Replayer.
4. Beside status, deprecate and remove, the naive approach: libcst's
   `parallel_exec_transform_with_prettyprint` over every .py file with the
   same transform (`naive.py`), on every `1/--naive-fraction`-th file and
   scaled to the whole tree by bytes.
5. patchmod runs as a user installs it: a wheel built from this checkout
   (its tracked files as they are on disk) is installed with pip into a
   fresh virtual environment in the scratch folder, with its bytecode
   compiled, and every command and floor runs with that environment's
   Python. `--install checkout` measures the development install instead
   (editable: its import hook and, under PYTHONDONTWRITEBYTECODE, the
   compiling of patchmod's own modules on every start come on top).
6. Memory: max RSS of each command (`wait4`, the largest of the process and
   its worker processes), and once more on a repository `--memory-scale`
   times as large.

A run counts as loaded when other processes used more than a quarter of a
core during it (from /proc/stat, minus the command's own CPU time); it is
repeated, up to twice the runs asked for (each run first waits, up to 30 s,
for the other processes to use less than half a core). The 1-minute load
average at the start of each run is noted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import monorepo  # noqa: E402

PYTHON = sys.executable
PATCHMOD = str(Path(PYTHON).parent / "patchmod")
STAGES = PROJECT / "testdata" / "stages"
HISTORIES = PROJECT / "testdata" / "histories"
VERIFY_WORKFLOW = "workflow_3_patch_deprecated:MyWorkflow"
# Histories that replay against VERIFY_WORKFLOW (TEMPORAL.md's matrix).
VERIFY_SOURCES = ["h2_patched.json", "h3_patch_deprecated.json", "h4_patch_complete.json"]
NEW_ID = "bench-audit-after-settle-v1"
OTHERS_LIMIT = 0.25  # cores other processes may use during a run before it counts as loaded
TICK = os.sysconf("SC_CLK_TCK")


def install_wheel(work: Path) -> Path:
    """Build a wheel of this checkout, pip-install it (dependencies from the
    package index pip is configured with) into a new venv under `work`;
    that venv's python."""
    source, dist, venv = work / "wheel-source", work / "dist", work / "venv"
    tracked = subprocess.run(["git", "-C", str(PROJECT), "ls-files", "-z"], capture_output=True,
                             check=True).stdout.decode().split("\0")
    for rel in filter(None, tracked):
        if (PROJECT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / rel, source / rel)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
                   check=True, capture_output=True, env=env)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    # pip compiles the bytecode of what it installs, as on a user's machine.
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", str(next(dist.glob("patchmod-*.whl")))],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"pip install of the wheel failed:\n{done.stdout}{done.stderr}")
    return venv / "bin" / "python"


# --- the machine -------------------------------------------------------------------


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


def machine() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "git": subprocess.run(["git", "--version"], capture_output=True,
                                                                    text=True).stdout.strip()}


def wait_quiet(limit: float = 0.5, timeout: float = 30.0) -> float:
    """Wait until the other processes use less than `limit` cores (sampled
    over half a second), at most `timeout` seconds; returns what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        busy0, total0 = _cpu_ticks()
        time.sleep(0.5)
        busy1, total1 = _cpu_ticks()
        cores = (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)
        if cores < limit or time.monotonic() > deadline:
            return cores


# --- measuring -----------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system of the process and its waited-for children
    rss_mb: float
    others: float  # cores other processes used meanwhile
    load: float  # 1-minute load average at the start
    rc: int
    out: str = ""  # what the process printed on stdout

    @property
    def loaded(self) -> bool:
        return self.others > OTHERS_LIMIT


TIME = shutil.which("time", path="/usr/bin:/bin")


def measure(argv: list[str], cwd: str | os.PathLike[str] | None = None, expect: tuple[int, ...] = (0,)) -> Sample:
    """Run `argv` once as a child process: wall time, CPU, max RSS.

    The RSS comes from GNU time (`/usr/bin/time -f %M`, the largest of the
    process and the children it waited for): a child forked from this
    (large) Python process would count the pages it shared with it before
    exec in its own peak."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        if TIME:
            argv = [TIME, "-f", "%M", "-o", rss.name, *argv]
        busy0, _ = _cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy1, _ = _cpu_ticks()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        printed = out.read().decode(errors="replace")
        if proc.returncode not in expect:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}\n{printed[-2000:]}"
                             f"{err.read().decode()[-2000:]}")
        max_rss_kb = usage.ru_maxrss
        if TIME:
            lines = rss.read().split()
            max_rss_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, ((busy1 - busy0) / TICK - cpu) / wall)
    return Sample(wall, cpu, max_rss_kb / 1024, others, load, proc.returncode, printed)


def repeat(runs: int, once: Callable[[], Sample], prepare: Callable[[], None] | None = None,
           after: Callable[[], None] | None = None) -> list[Sample]:
    """`runs` unloaded samples (or the least loaded of twice as many tries)."""
    samples: list[Sample] = []
    for _ in range(2 * runs):
        if prepare:
            prepare()
        wait_quiet()
        sample = once()
        if after:
            after()
        samples.append(sample)
        if sum(not s.loaded for s in samples) >= runs:
            break
    clean = [s for s in samples if not s.loaded]
    return clean if len(clean) >= runs else sorted(samples, key=lambda s: s.others)[:runs]


def median(samples: list[Sample], attr: str = "wall") -> float:
    return statistics.median(getattr(s, attr) for s in samples)


# --- floors ---------------------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check).stdout


def grep_files(root: Path, texts: list[str]) -> list[str]:
    args = ["git", "grep", "-l", "-F"]
    for text in texts:
        args += ["-e", text]
    out = subprocess.run([*args, "--", "*.py"], cwd=root, capture_output=True, text=True).stdout
    return out.split()


def floor_command(mode: str, root: Path, texts: list[str], files: list[str] | None, work: Path) -> list[str]:
    """The argv of floor.py: `git grep -l` of `texts` (or `git diff`), then
    libcst parse + regenerate of `files` ("@REV:path" for a blob), or
    `ast.parse` of what git grep lists."""
    argv = [PYTHON, str(HERE / "floor.py"), mode, str(root)]
    if mode == "libcst":
        listed = work / f"floor-{len(list(work.glob('floor-*')))}.txt"
        listed.write_text("".join(f"{f}\n" for f in files or []))
        argv.append(str(listed))
    return argv + texts


# --- the naive approach -------------------------------------------------------------------


def naive(command: str, tree: Path, ids: list[str], fraction: float, work: Path) -> dict:
    """naive.py over a sample of the tree's .py files (every 1/fraction-th,
    by path), scaled to the whole tree by bytes."""
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*.py") if ".git" not in p.parts)
    step = max(1, round(1 / fraction))
    sample = work / f"naive-{command}"
    shutil.rmtree(sample, ignore_errors=True)
    for rel in files[::step]:
        (sample / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / rel, sample / rel)
    total = sum((tree / rel).stat().st_size for rel in files)
    wait_quiet()
    done = subprocess.run([PYTHON, str(HERE / "naive.py"), command, str(sample), *ids],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["scaled_seconds"] = result["seconds"] * total / result["bytes"]
    result["fraction"] = result["bytes"] / total
    shutil.rmtree(sample, ignore_errors=True)
    return result


# --- the benchmark -----------------------------------------------------------------------


@dataclass
class Row:
    name: str
    samples: list[Sample]
    floor: list[Sample]
    floor_note: str
    naive: dict | None = None
    target: str = ""
    met: bool | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        wall, floor = median(self.samples), median(self.floor)
        out = {
            "command": self.name, "median_s": wall, "min_s": min(s.wall for s in self.samples),
            "cpu_s": median(self.samples, "cpu"), "runs": len(self.samples),
            "rss_mb": max(s.rss_mb for s in self.samples),
            "floor_s": floor, "floor_note": self.floor_note, "ratio": wall / floor if floor else None,
            "loads": [round(s.load, 2) for s in self.samples],
            "others_cores": [round(s.others, 2) for s in self.samples],
            "floor_loads": [round(s.load, 2) for s in self.floor],
            "target": self.target, "met": self.met, **self.extra,
        }
        if self.naive:
            out["naive_s"] = self.naive["scaled_seconds"]
            out["naive_fraction"] = self.naive["fraction"]
            out["speedup"] = self.naive["scaled_seconds"] / wall
        return out


def history_copy(path: Path, n: int) -> str:
    """A recorded history as if from another execution: its own workflow id
    and run id (the events stay the same)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    run_id = started["originalExecutionRunId"]
    workflow_id = started.get("workflowId", path.stem)
    text = json.dumps(data)
    text = text.replace(run_id, f"{n:08x}-0000-4000-8000-{n:012x}")
    return text.replace(f'"{workflow_id}"', f'"{workflow_id}-{n:03d}"')


class Bench:
    def __init__(self, root: Path, manifest: monorepo.Manifest, runs: int, work: Path):
        self.root = root
        self.work = work
        self.manifest = manifest
        self.runs = runs
        self.base = git(root, "rev-parse", "HEAD").strip()

    def reset(self) -> None:
        git(self.root, "reset", "-q", "--hard", self.base)

    def command(self, *args: str) -> list[str]:
        return [PATCHMOD, "-C", str(self.root), *args]

    def changed_by(self, argv: list[str], prepare: Callable[[], None] | None = None) -> list[str]:
        """The files one run of `argv` commits (it is then undone)."""
        self.reset()
        if prepare:
            prepare()
        subprocess.run(argv, capture_output=True, check=True)
        changed = git(self.root, "diff", "--name-only", self.base, "HEAD").split()
        self.reset()
        return changed

    def status(self) -> Row:
        words = ["patched", "deprecate_patch", "Versioning History"]
        samples = repeat(self.runs, lambda: measure(self.command("status")))
        floor = repeat(self.runs, lambda: measure(floor_command("ast", self.root, words, None, self.work)))
        return Row("status", samples, floor, "git grep -l of the three words + read and ast.parse of the files it lists")

    def retire(self, command: str, ids: list[str]) -> Row:
        argv = self.command(command, *ids)
        changed = self.changed_by(argv)
        samples = repeat(self.runs, lambda: measure(argv), after=self.reset)
        floor_argv = floor_command("libcst", self.root, ids, changed, self.work)
        floor = repeat(self.runs, lambda: measure(floor_argv))
        return Row(f"{command} 10 ids", samples, floor,
                   f"git grep -l of the ids + libcst parse/regenerate of the {len(changed)} files that change",
                   extra={"files_changed": len(changed)})

    def edited(self) -> None:
        self.reset()
        monorepo.edit_workflow(self.root, self.manifest.edit_target)

    def check(self) -> Row:
        target = self.manifest.edit_target
        samples = repeat(self.runs, lambda: measure(self.command("check"), expect=(1,)), prepare=self.edited,
                         after=self.reset)
        floor_argv = floor_command("libcst", self.root, [], [target, f"@HEAD:{target}"], self.work)
        floor = repeat(self.runs, lambda: measure(floor_argv), prepare=self.edited, after=self.reset)
        return Row("check (1 file changed)", samples, floor,
                   "git diff --name-only + libcst parse/regenerate of the file and its base")

    def introduce(self) -> Row:
        target = self.manifest.edit_target
        samples = repeat(self.runs, lambda: measure(self.command("introduce", NEW_ID)), prepare=self.edited,
                         after=self.reset)
        floor_argv = floor_command("libcst", self.root, [], [target, f"@HEAD:{target}"], self.work)
        floor = repeat(self.runs, lambda: measure(floor_argv), prepare=self.edited, after=self.reset)
        wall = median(samples)
        return Row("introduce (1 file)", samples, floor, "git diff --name-only + libcst parse/regenerate of the file and its base",
                   target="<= 0.600 s end to end", met=wall <= 0.600)

    def help(self) -> Row:
        samples = repeat(self.runs, lambda: measure([PATCHMOD, "--help"]))
        floor = repeat(self.runs, lambda: measure([PYTHON, "-c", "pass"]))
        diff = median(samples) - median(floor)
        return Row("patchmod --help", samples, floor, "python -c pass",
                   target="<= python -c pass + 0.150 s", met=diff <= 0.150, extra={"over_floor_s": diff})

    def verify(self, work: Path, count: int = 100) -> Row:
        folder = work / "histories"
        folder.mkdir(exist_ok=True)
        for n in range(count):
            name = VERIFY_SOURCES[n % len(VERIFY_SOURCES)]
            (folder / f"{n:03d}_{name}").write_text(history_copy(HISTORIES / name, n), encoding="utf-8")
        argv = [PATCHMOD, "verify", "--histories", str(folder), "--workflow", VERIFY_WORKFLOW]
        samples = repeat(self.runs, lambda: measure(argv, cwd=STAGES))
        floor = repeat(self.runs, lambda: measure(
            [PYTHON, str(HERE / "replay_floor.py"), str(STAGES), VERIFY_WORKFLOW, str(folder)]))
        wall = median(samples)
        return Row(f"verify {count} histories", samples, floor,
                   "one process: import temporalio + Replayer over the histories",
                   target="<= 1.5 s", met=wall <= 1.5)


def memory_at(root: Path, manifest: monorepo.Manifest) -> dict:
    """One run of each command on a larger repository: time and max RSS."""
    bench = Bench(root, manifest, 1, root.parent)
    out = {}
    for name, argv, prepare, expect in (
        ("status", bench.command("status"), None, (0,)),
        ("deprecate 10 ids", bench.command("deprecate", *manifest.active[:10]), None, (0,)),
        ("remove 10 ids", bench.command("remove", *manifest.deprecated[:10]), None, (0,)),
        ("check (1 file changed)", bench.command("check"), bench.edited, (1,)),
        ("introduce (1 file)", bench.command("introduce", NEW_ID), bench.edited, (0,)),
    ):
        if prepare:
            prepare()
        wait_quiet()
        sample = measure(argv, expect=expect)
        bench.reset()
        out[name] = {"seconds": sample.wall, "rss_mb": sample.rss_mb, "load": sample.load, "others": sample.others}
    return out


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(rows: list[dict], big: dict | None, scale: int) -> str:
    head = ["command", "patchmod (median)", "floor (median)", "ratio", "naive: whole-tree libcst codemod",
            "speed-up", "max RSS"]
    if big:
        head.append(f"max RSS, repo {scale}x")
    head.append("load avg")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["command"], _fmt(r["median_s"]), _fmt(r["floor_s"]),
                 f"{r['ratio']:.2f}x" if r.get("ratio") else "-",
                 _fmt(r.get("naive_s")), f"{r['speedup']:.0f}x" if r.get("speedup") else "-",
                 f"{r['rss_mb']:.0f} MB"]
        if big:
            cells.append(f"{big[r['command']]['rss_mb']:.0f} MB" if r["command"] in big else "-")
        cells.append(f"{statistics.median(r['loads']):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command; the median is reported (>= 3)")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--memory-scale", type=int, default=3, help="0: skip the larger repository")
    parser.add_argument("--naive-fraction", type=float, default=0.1)
    parser.add_argument("--only", default=None, help="comma-separated: status,check,deprecate,remove,introduce,help,verify")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    parser.add_argument("--install", choices=["wheel", "checkout"], default="wheel",
                        help="wheel: measure a wheel of this checkout pip-installed into a fresh venv "
                             "(default); checkout: the Python running this script and its patchmod")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    only = set(args.only.split(",")) if args.only else None

    work = Path(tempfile.mkdtemp(prefix="patchmod-bench-"))
    try:
        global PYTHON, PATCHMOD
        if args.install == "wheel":
            PYTHON = str(install_wheel(work))
            PATCHMOD = str(Path(PYTHON).parent / "patchmod")
        info = machine()
        info["install"] = args.install
        print(f"patchmod: {PATCHMOD} ({args.install})", flush=True)
        print(f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, {info['git']}", flush=True)
        root = args.keep or work / "repo"
        if args.keep and (args.keep / ".git").exists():
            shutil.rmtree(args.keep)
        start = time.perf_counter()
        manifest = monorepo.generate(root, args.scale)
        print(f"generated {root}: {manifest.modules} modules, {manifest.bytes / 1e6:.1f} MB, "
              f"{manifest.workflow_classes} workflow classes, ids {len(manifest.active)} active / "
              f"{len(manifest.deprecated)} deprecated / {len(manifest.removed)} removed; largest file "
              f"{manifest.largest[0]} ({manifest.largest[1] / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s",
              flush=True)
        grep_files(root, ["warm the page cache"])
        git(root, "status", "--short")
        bench = Bench(root, manifest, args.runs, work)
        deprecate_ids, remove_ids = manifest.active[:10], manifest.deprecated[:10]

        plan = [
            ("status", bench.status, ("status", [])),
            ("check", bench.check, None),
            ("deprecate", lambda: bench.retire("deprecate", deprecate_ids), ("deprecate", deprecate_ids)),
            ("remove", lambda: bench.retire("remove", remove_ids), ("remove", remove_ids)),
            ("introduce", bench.introduce, None),
            ("help", bench.help, None),
            ("verify", lambda: bench.verify(work), None),
        ]
        rows = []
        for key, run, naive_spec in plan:
            if only and key not in only:
                continue
            row = run()
            if naive_spec:
                row.naive = naive(naive_spec[0], root, naive_spec[1], args.naive_fraction, work)
                bench.reset()
            if key in ("status", "deprecate", "remove"):
                s = row.summary()
                row.target = "<= 2x floor, >= 50x faster than naive"
                row.met = s["ratio"] <= 2 and s["speedup"] >= 50
            summary = row.summary()
            rows.append(summary)
            print(f"{summary['command']}: median {_fmt(summary['median_s'])} (cpu {_fmt(summary['cpu_s'])}, "
                  f"{summary['runs']} runs, loads {summary['loads']}), floor {_fmt(summary['floor_s'])} "
                  f"[{summary['floor_note']}], ratio {summary['ratio']:.2f}"
                  + (f", naive {_fmt(summary['naive_s'])} ({summary['naive_fraction']:.0%} of the tree, scaled), "
                     f"speed-up {summary['speedup']:.0f}x" if "naive_s" in summary else "")
                  + f", max RSS {summary['rss_mb']:.0f} MB"
                  + (f"; target {summary['target']}: {'met' if summary['met'] else 'MISSED'}" if summary["target"] else ""),
                  flush=True)

        big = None
        if args.memory_scale > 1 and not only:
            big_root = work / f"repo-{args.memory_scale}x"
            big_manifest = monorepo.generate(big_root, args.scale * args.memory_scale)
            print(f"generated {big_manifest.modules} modules, {big_manifest.bytes / 1e6:.1f} MB for memory", flush=True)
            big = memory_at(big_root, big_manifest)
            for name, m in big.items():
                print(f"  at {args.memory_scale}x: {name}: {_fmt(m['seconds'])}, max RSS {m['rss_mb']:.0f} MB", flush=True)

        print()
        print(table(rows, big, args.memory_scale))
        print()
        print(f"python -c pass: {_fmt(next((r['floor_s'] for r in rows if r['command'] == 'patchmod --help'), None))}")
        missed = [r for r in rows if r["met"] is False]
        print("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(r["command"] for r in missed)))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"machine": info, "date": datetime.date.today().isoformat(),
                                             "repository": {"modules": manifest.modules, "bytes": manifest.bytes,
                                                            "workflow_classes": manifest.workflow_classes,
                                                            "largest": list(manifest.largest)},
                                             "runs": args.runs, "rows": rows, "memory_scale": args.memory_scale,
                                             "memory": big}, indent=2) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
