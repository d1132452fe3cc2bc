"""`patchmod verify`: replay recorded histories against the current code.

`verify_histories()` does the work and returns a `VerifyReport`; the click
command prints it. The replay itself runs in a child interpreter
(`patchmod/cli/replay.py` as a script): the workflow modules are imported
fresh, by name, with the repository on `sys.path` and bytecode caching sent
to an empty folder, so neither a stale `.pyc` nor a module imported earlier
in this process can stand in for the code on disk (TEMPORAL.md).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import JsonReport, echo_err, print_json
from patchmod.cli.workers import usable_cores

if TYPE_CHECKING:
    from pathlib import Path

# pathlib, subprocess and tempfile are imported where used: `patchmod --help`
# imports this module.

STATUSES = ("ok", "nondeterminism", "error", "skipped")
# Seconds allowed for the child interpreter: a base for imports and start-up,
# plus this much per history (replays take about 10 ms each).
TIMEOUT_BASE = 60.0
TIMEOUT_PER_HISTORY = 1.0
# Many histories are replayed by several child interpreters at once, each
# getting at least this many.
HISTORIES_PER_REPLAYER = 20


@dataclass
class VerifyReport(JsonReport):
    """What `verify` found; reads like the --json object (`report["results"]`)."""

    histories_dir: str
    mode: str  # "workflow" (--workflow given) or "repository"
    results: list[dict] = field(default_factory=list)
    imports: list[dict] = field(default_factory=list)
    message: str = ""

    _KEYS = ("command", "histories", "mode", "results", "counts", "imports", "ok", "message", "errors")

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            counts[r["status"]] += 1
        return counts

    @property
    def ok(self) -> bool:
        return all(r["status"] in ("ok", "skipped") for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "verify",
            "histories": self.histories_dir,
            "mode": self.mode,
            "results": [dict(r) for r in self.results],
            "counts": self.counts,
            "imports": [dict(i) for i in self.imports],
            "ok": self.ok,
            "message": self.message,
            "errors": [],
        }


def _replay_script() -> str:
    return os.path.join(os.path.dirname(os.path.realpath(__file__)), "replay.py")


def _load_replay_module():
    """cli/replay.py as a module (it is also a standalone script)."""
    from patchmod.cli import replay

    return replay


def find_history_files(histories_dir: Path) -> list[Path]:
    return sorted(p for p in histories_dir.rglob("*.json") if p.is_file())


def parse_workflow_specs(specs: list[str]) -> list[tuple[str, str]]:
    parsed = []
    for spec in specs:
        module, sep, cls = spec.partition(":")
        if not sep or not module or not cls or not all(
            part.isidentifier() for part in module.split(".")
        ) or not cls.isidentifier():
            raise PatchmodError(f"--workflow {spec}: expected MODULE:CLASS, e.g. workflows.orders:OrderWorkflow")
        parsed.append((module, cls))
    return parsed


def _explicit_targets(start: Path, specs: list[tuple[str, str]]) -> tuple[list[dict], list[str]]:
    """Targets for `--workflow MODULE:CLASS`: imported with DIR on sys.path."""
    from pathlib import Path

    from patchmod.cli import workflow_types as wt

    sys_path = [str(start)]
    by_module: dict[str, list[str]] = {}
    for module, cls in specs:
        classes = by_module.setdefault(module, [])
        if cls not in classes:
            classes.append(cls)
    targets = []
    for module, classes in by_module.items():
        static: dict[str, str | None] = {}
        path = wt.module_file(sys_path, module)
        if path is not None:
            try:
                info = wt.read_module(Path(os.path.dirname(path)), os.path.basename(path),
                                      Path(path).read_text(encoding="utf-8"))
                static = {c.class_name: c.type_name for c in info.classes if c.class_name in classes}
            except (OSError, UnicodeDecodeError):
                pass
        label = os.path.relpath(path, start) if path else module
        targets.append({"module": module, "classes": classes, "static_types": static, "label": label})
    return targets, sys_path


def _repository_targets(start: Path, needed_types: set[str]) -> tuple[list[dict], list[str]]:
    """Targets for the repository's own `@workflow.defn` classes: the modules
    that define a needed type, or whose type cannot be read statically."""
    from patchmod.cli import repo as repo_mod
    from patchmod.cli import workflow_types as wt

    try:
        repo = repo_mod.open_repo(start)
    except PatchmodError as exc:
        raise PatchmodError([*exc.lines, "without a repository, name the classes with --workflow MODULE:CLASS"]) from None
    root = repo_mod.root_of(repo)
    modules = wt.find_workflow_modules(root)
    if not any(m.classes for m in modules):
        raise PatchmodError(
            f"{root}: no @workflow.defn class in the tracked Python files; "
            "name the classes with --workflow MODULE:CLASS"
        )
    targets = []
    sys_path = [str(root)]
    for m in modules:
        unknown = m.problem is not None or any(c.type_name is None for c in m.classes)
        if not unknown and not any(c.type_name in needed_types for c in m.classes):
            continue
        targets.append({
            "module": m.module,
            "classes": None,
            "static_types": {c.class_name: c.type_name for c in m.classes},
            "label": m.path,
        })
        if m.sys_path not in sys_path:
            sys_path.append(m.sys_path)
    return targets, sys_path


def verify_histories(
    start: str | os.PathLike[str],
    histories: str | os.PathLike[str],
    workflows: list[str] | None = None,
    *,
    python: str | None = None,
    timeout: float | None = None,
) -> VerifyReport:
    """Replay every `*.json` history under `histories` (relative to `start`)
    against the workflow classes `workflows` ("MODULE:CLASS", imported with
    `start` on sys.path) or, without them, the repository's own classes.

    Raises `PatchmodError` for bad usage (no such folder, no histories, no
    workflow classes); replay problems are results, not exceptions.
    """
    from pathlib import Path

    start_path = Path(os.fspath(start)).resolve()
    hist_dir = (start_path / os.fspath(histories)).resolve()
    if not hist_dir.exists():
        raise PatchmodError(f"{histories}: no such directory")
    if not hist_dir.is_dir():
        raise PatchmodError(f"{histories}: not a directory")
    files = find_history_files(hist_dir)
    if not files:
        raise PatchmodError(f"{histories}: no histories (*.json files) to replay")
    specs = parse_workflow_specs(list(workflows or []))
    replay = _load_replay_module()

    # Which workflow types the histories need (plain json, no temporalio).
    infos = [_history_summary(replay, path) for path in files]
    needed = {info.workflow_type for info in infos if info.workflow_type}

    if specs:
        targets, sys_path = _explicit_targets(start_path, specs)
    else:
        targets, sys_path = _repository_targets(start_path, needed)

    report = VerifyReport(histories_dir=os.fspath(histories), mode="workflow" if specs else "repository")
    labels = [p.relative_to(hist_dir).as_posix() for p in files]
    spec = {
        "sys_path": sys_path,
        "targets": targets,
        "histories": [{"path": str(p), "label": label} for p, label in zip(files, labels)],
    }
    records = _run_replayer(spec, start_path, python or sys.executable,
                            timeout if timeout is not None else TIMEOUT_BASE + TIMEOUT_PER_HISTORY * len(files))

    results: dict[int, dict] = {}
    crash = None
    for record in records:
        if record.get("kind") == "import":
            report.imports.append({k: record[k] for k in ("module", "label", "ok", "message", "classes")})
        elif record.get("kind") == "result":
            results[record["index"]] = record
        elif record.get("kind") == "crash":
            crash = record
    for index, (info, label) in enumerate(zip(infos, labels)):
        record = results.get(index)
        if record is None:
            record = {"status": "error", "reason": crash["reason"] if crash else "replay_crashed",
                      "message": crash["message"] if crash else "the replayer stopped before this history",
                      "event_id": None, "workflow": None}
        report.results.append({
            "file": label,
            "workflow_type": info.workflow_type,
            "workflow_id": info.workflow_id,
            "run_id": info.run_id,
            "status": record["status"],
            "reason": record.get("reason"),
            "event_id": record.get("event_id"),
            "message": record.get("message"),
            "workflow": record.get("workflow"),
        })
    report.message = _summary(report)
    return report


def _history_summary(replay, path: Path):
    try:
        return replay.read_history_info(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError):
        return replay.HistoryInfo()


def replayer_count(n_histories: int) -> int:
    """How many child interpreters replay `n_histories` at once: one per
    usable core, as long as each gets at least `HISTORIES_PER_REPLAYER`
    (each child spends about 0.3 s importing temporalio first)."""
    return max(1, min(usable_cores(), n_histories // HISTORIES_PER_REPLAYER))


def _run_replayer(spec: dict, cwd: Path, python: str, timeout: float, children: int | None = None) -> list[dict]:
    """Run replay.py in child interpreters, each on a contiguous share of the
    histories (`children`, default `replayer_count`); their records, with
    history indices counted in the whole spec. The import records come from
    the first child (every child imports the same targets). A child that
    failed turns each of its histories without a result into an error
    record saying why (the replayer crashed, or the timeout)."""
    import subprocess
    import tempfile

    histories = spec["histories"]
    n = max(1, min(children or replayer_count(len(histories)), len(histories)))
    bounds = [(len(histories) * k // n, len(histories) * (k + 1) // n) for k in range(n)]
    env = dict(os.environ)
    # replay.py reads the workflow code from source (no stale .pyc);
    # nothing is written into the repository either way.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    records: list[dict] = []
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="patchmod-verify-") as tmp:
        running = []
        for k, (lo, hi) in enumerate(bounds):
            spec_path = os.path.join(tmp, f"spec{k}.json")
            with open(spec_path, "w", encoding="utf-8") as fh:
                json.dump({**spec, "histories": histories[lo:hi]}, fh)
            results_path = os.path.join(tmp, f"results{k}.jsonl")
            # Output goes to files, not pipes: a child that writes much
            # while another is waited for never blocks.
            output = tuple(open(os.path.join(tmp, f"{name}{k}.txt"), "w+", encoding="utf-8", errors="replace")
                           for name in ("stdout", "stderr"))
            try:
                proc = subprocess.Popen([python, _replay_script(), spec_path, results_path], cwd=cwd, env=env,
                                        stdin=subprocess.DEVNULL, stdout=output[0], stderr=output[1], text=True)
            except FileNotFoundError:
                for _, other, _, _ in running:
                    other.kill()
                    other.wait()
                for _, _, _, files in [*running, (None, None, None, output)]:
                    for fh in files:
                        fh.close()
                raise PatchmodError(f"--python {python}: no such interpreter") from None
            running.append((k, proc, results_path, output))
        for k, proc, results_path, (stdout, stderr) in running:
            with stdout, stderr:
                crash = _wait_replayer(proc, stdout, stderr, python, timeout, deadline)
            lo, hi = bounds[k]
            done: set[int] = set()
            for record in _read_records(results_path):
                if record.get("kind") == "import":
                    if k == 0:
                        records.append(record)
                    continue
                if record.get("kind") == "result":
                    record["index"] += lo
                    done.add(record["index"])
                records.append(record)
            if crash and n == 1:
                records.append(crash)
            elif crash:
                records.extend({"kind": "result", "index": i, "status": "error", "reason": crash["reason"],
                                "message": crash["message"], "event_id": None, "workflow": None}
                               for i in range(lo, hi) if i not in done)
    return records


def _wait_replayer(proc, stdout, stderr, python: str, timeout: float, deadline: float) -> dict | None:
    """Wait for one replay.py child, at most until `deadline`; a
    `{"kind": "crash"}` record when it failed or ran out of time."""
    import subprocess

    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return {"kind": "crash", "reason": "timeout",
                "message": f"the replay did not finish within {timeout:.0f} s (stopped)"}
    if proc.returncode != 0:
        stdout.seek(0)
        stderr.seek(0)
        tail = (stderr.read() or stdout.read() or "").strip().splitlines()[-5:]
        return {"kind": "crash", "reason": "replay_crashed",
                "message": f"the replayer ({python}) exited with status {proc.returncode}"
                           + (": " + " | ".join(tail) if tail else "")}
    return None


def _read_records(results_path: str) -> list[dict]:
    records = []
    try:
        with open(results_path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        break  # a line cut short by a crash
    except FileNotFoundError:
        pass
    return records


def _summary(report: VerifyReport) -> str:
    c = report.counts
    n = len(report.results)
    parts = [f"{c['ok']} ok", f"{c['nondeterminism']} non-determinism", f"{c['error']} error{'s' if c['error'] != 1 else ''}"]
    if c["skipped"]:
        parts.append(f"{c['skipped']} skipped")
    return f"{n} histor{'y' if n == 1 else 'ies'}: " + ", ".join(parts)


def result_line(r: dict) -> str:
    what = r["file"]
    if r["status"] == "ok":
        return f"{what}: ok ({r['workflow']})"
    if r["status"] == "nondeterminism":
        at = f" at event {r['event_id']}" if r.get("event_id") else ""
        return f"{what}: non-determinism{at}: {r['message']}"
    if r["status"] == "skipped":
        return f"{what}: skipped: {r['message']}"
    reason = (r.get("reason") or "error").replace("_", " ")
    return f"{what}: error: {reason}: {r['message']}"


@click.command("verify", short_help="Replay recorded histories against the code.")
@click.option("--histories", "histories", required=True, metavar="DIR",
              help="Folder of history JSON files (searched recursively).")
@click.option("--workflow", "workflows", multiple=True, metavar="MODULE:CLASS",
              help="Replay against this class (repeatable); MODULE is imported with "
                   "the working directory (or -C DIR) on sys.path. Default: every "
                   "@workflow.defn class in the repository's tracked files.")
@click.option("--python", "python", metavar="PATH", default=None,
              help="Interpreter that imports the workflow code (needs temporalio). "
                   "Default: the one running patchmod.")
@click.option("--timeout", type=float, default=None, metavar="SECONDS",
              help=f"Stop the replay after this long (default {TIMEOUT_BASE:.0f} s "
                   f"plus {TIMEOUT_PER_HISTORY:.0f} s per history).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every result.")
@click.pass_context
def verify(ctx: click.Context, histories: str, workflows: tuple[str, ...], python: str | None,
           timeout: float | None, as_json: bool) -> None:
    """Replay every history in DIR against the current code.

    Histories are JSON as written by `temporal workflow show --output json`,
    `WorkflowHistory.to_json()` or `patchmod histories pull`. Each history's
    workflow type (from its first event) picks the class it is replayed
    against; histories are replayed together by one Replayer. Each is
    reported as ok, non-determinism (the event it failed at and the SDK's
    message), an error (the module does not import, no class has the
    workflow type, several do, an unreadable file, another replay failure),
    or skipped (no workflow task ever started).

    Replaying an open execution's history proves less than a closed one's:
    it ends where the execution is waiting, so code after that point is not
    checked. Keep completed histories among the ones you verify.

    Exit status: 0 every history replays, 1 any does not, 2 bad usage (no
    such folder, no histories, no workflow classes).
    """
    start = ctx.obj["directory"] if ctx.obj else os.getcwd()
    try:
        # What `api.verify` calls, without importing the API module: it loads
        # libcst and GitPython, half a second that a replay does not need.
        report = verify_histories(start, histories, list(workflows), python=python, timeout=timeout)
    except PatchmodError as exc:
        for line in exc.lines:
            echo_err(line)
        if as_json:
            print_json({"command": "verify", "histories": histories, "mode": None, "results": [],
                        "counts": dict.fromkeys(STATUSES, 0), "imports": [], "ok": False,
                        "message": exc.lines[0], "errors": exc.errors})
        ctx.exit(exc.exit_code)
        return
    if as_json:
        print_json(report.as_dict())
    else:
        for imp in report.imports:
            if not imp["ok"]:
                echo_err(f"warning: cannot import {imp['label']}: {imp['message']}")
        for r in report.results:
            click.echo(result_line(r))
        click.echo(report.message)
    ctx.exit(report.exit_code)
