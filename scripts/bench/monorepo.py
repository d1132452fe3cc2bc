"""A synthetic monorepo for `make bench` (and `scripts/bench_status.py`).

    generate(root, scale=1) -> Manifest

Deterministic: the same `scale` and `seed` give the same bytes. At scale 1
it holds about 3,300 Python modules (about 30 MB) under `services/<svc>/`:

- workflow modules, each with one or two `@workflow.defn` classes (with a
  `Versioning History`, run/signal/query handlers, and a module-level helper
  the run method calls), holding patch sites of 120 ids at every stage (each
  id belongs to one of the 30 services and is used by some of its classes,
  about 10 modules per id): `patched(ID)` in if/else, if-only, if-not, elif chains (newest id
  first) and conditional expressions; `deprecate_patch(ID)` statements;
  and ids only a changelog remembers (removed);
- activity modules and plain library modules (no workflow), some of which
  say "patched" in another sense (`mock.patch`, a comment), as real code does;
- two large generated modules (1.5 MB each, like protobuf output): the
  largest files of the tree.

Scale multiplies the number of modules (and of ids); the mix stays the same.
Everything is committed in one commit on branch `main`.
"""

from __future__ import annotations

import datetime
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20261122

# Per unit of scale.
SERVICES = 30
WORKFLOW_MODULES = 450
ACTIVITY_MODULES = 300
PLAIN_MODULES = 2550
LARGE_MODULES = 2
LARGE_BYTES = 1_500_000
# Ids belong to a service (its team's): two active, one deprecated and one
# removed per service, each in the classes of that service that use it.
ACTIVE_IDS = 2 * SERVICES
DEPRECATED_IDS = SERVICES
REMOVED_IDS = SERVICES

_TOPICS = [
    "fraud-check", "notify-customer", "tax-rules", "retry-policy", "settle-later", "ship-split",
    "audit-log", "refund-window", "kyc-step", "currency-round", "invoice-merge", "loyalty-points",
    "address-verify", "stock-reserve", "price-lock", "cancel-grace", "coupon-apply", "fx-quote",
]

_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-05T12:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-05T12:00:00+00:00",
}


@dataclass
class Manifest:
    """What the generator made: enough for the benchmark to pick its work."""

    root: Path
    active: list[str] = field(default_factory=list)  # ids still `patched()` in code, oldest first
    deprecated: list[str] = field(default_factory=list)  # ids only `deprecate_patch()`'d
    removed: list[str] = field(default_factory=list)  # ids only a changelog names
    files_of: dict[str, list[str]] = field(default_factory=dict)  # id -> files that spell it
    workflow_files: list[str] = field(default_factory=list)
    workflow_classes: int = 0
    modules: int = 0
    bytes: int = 0
    largest: tuple[str, int] = ("", 0)
    # A workflow module whose run method ends with `return await ...(ship, ...)`
    # (for introduce/check benchmarks: edit it).
    edit_target: str = ""


def _patch_id(index: int, version: int) -> str:
    topic = _TOPICS[index % len(_TOPICS)]
    return f"{topic}-{index:03d}-v{version}"


def _ids(scale: int) -> tuple[list[str], list[str], list[str]]:
    """Removed ids are the oldest, then deprecated, then active (newest)."""
    n_removed, n_deprecated, n_active = REMOVED_IDS * scale, DEPRECATED_IDS * scale, ACTIVE_IDS * scale
    ids = [_patch_id(i, 1 + i % 3) for i in range(n_removed + n_deprecated + n_active)]
    return (ids[n_removed + n_deprecated:], ids[n_removed:n_removed + n_deprecated], ids[:n_removed])


def _date(index: int, offset_days: int = 0) -> str:
    return (datetime.date(2024, 1, 1) + datetime.timedelta(days=7 * index + offset_days)).isoformat()


ACTIVITIES = ["charge", "check_fraud", "notify", "ship", "audit", "reserve_stock", "quote_fx",
              "apply_coupon", "verify_address", "refund", "settle", "round_currency"]


def _call(activity: str, indent: str, target: str | None = None) -> str:
    assign = f"{target} = " if target else ""
    return (f"{indent}{assign}await workflow.execute_activity(\n"
            f"{indent}    {activity}, order_id, start_to_close_timeout=TIMEOUT\n"
            f"{indent})\n")


class _Workflow:
    """One workflow class: its sites, in the order the run method holds them."""

    def __init__(self, rng: random.Random, number: int, index_of: dict[str, int],
                 active: list[str], deprecated: list[str], removed: list[str]):
        self.name = f"{rng.choice(['Order', 'Refund', 'Invoice', 'Shipment', 'Account', 'Payment'])}{number}Workflow"
        self.rng = rng
        self.index_of = index_of
        k = rng.choices([0, 1, 2], weights=[25, 45, 30])[0]
        self.active = sorted(rng.sample(active, min(k, len(active))), key=index_of.__getitem__)
        self.deprecated = sorted(rng.sample(deprecated, rng.randint(0, min(1, len(deprecated)))),
                                 key=index_of.__getitem__)
        self.removed = sorted(rng.sample(removed, rng.randint(0, min(1, len(removed)))), key=index_of.__getitem__)
        self.helper_id: str | None = None  # the id of the helper's site, for the first class

    def ids(self) -> list[str]:
        return self.active + self.deprecated + self.removed

    def history(self) -> str:
        """The changelog, oldest line first."""
        lines = []
        for patch_id in self.removed:
            i = self.index_of[patch_id]
            lines += [(_date(i), f"introduced {patch_id}: run"), (_date(i, 90), f"deprecated {patch_id}"),
                      (_date(i, 200), f"removed {patch_id}")]
        for patch_id in self.deprecated:
            i = self.index_of[patch_id]
            lines += [(_date(i), f"introduced {patch_id}: run"), (_date(i, 90), f"deprecated {patch_id}")]
        for patch_id in self.active:
            where = "run, settle_window" if patch_id == self.helper_id else "run"
            lines.append((_date(self.index_of[patch_id]), f"introduced {patch_id}: {where}"))
        return "\n".join(f"    - {date} {what}" for date, what in sorted(lines))

    def run_body(self) -> str:
        rng = self.rng
        ind = " " * 8
        parts = []
        for patch_id in self.deprecated:
            parts.append(f'{ind}workflow.deprecate_patch("{patch_id}")\n' + _call(rng.choice(ACTIVITIES), ind))
        parts.append(_call("check_fraud", ind, "safe"))
        parts.append(f"{ind}if not safe:\n{ind}    return \"held\"\n")
        # Active sites, newest id first where two share an elif chain.
        active = [p for p in self.active if p != self.helper_id or rng.random() < 0.5]
        i = 0
        while i < len(active):
            patch_id = active[i]
            form = rng.choice(["ifelse", "ifonly", "ifnot", "expr", "chain"])
            if form == "chain" and i + 1 < len(active):
                older, newer = patch_id, active[i + 1]
                parts.append(
                    f'{ind}if workflow.patched("{newer}"):\n' + _call("settle", ind + "    ")
                    + f'{ind}elif workflow.patched("{older}"):\n' + _call("refund", ind + "    ")
                    + f"{ind}else:\n" + _call("notify", ind + "    "))
                i += 2
                continue
            a, b = rng.sample(ACTIVITIES, 2)
            if form == "ifelse" or form == "chain":
                parts.append(f'{ind}if workflow.patched("{patch_id}"):\n' + _call(a, ind + "    ", "result")
                             + f"{ind}else:\n" + _call(b, ind + "    ", "result"))
            elif form == "ifonly":
                parts.append(f'{ind}if workflow.patched("{patch_id}"):\n'
                             f"{ind}    # {a} first since {patch_id}\n" + _call(a, ind + "    "))
            elif form == "ifnot":
                parts.append(f'{ind}if not workflow.patched("{patch_id}"):\n'
                             f"{ind}    await workflow.sleep(timedelta(seconds={rng.randint(1, 60)}))\n")
            else:
                parts.append(f'{ind}wait = timedelta(minutes={rng.randint(2, 9)}) if workflow.patched("{patch_id}") '
                             f"else TIMEOUT\n{ind}await workflow.sleep(wait)\n")
            i += 1
        parts.append(f"{ind}await settle_window(order_id)\n")
        parts.append(f'{ind}self._status = "shipped"\n')
        parts.append(f"{ind}return await workflow.execute_activity(\n"
                     f"{ind}    ship, order_id, start_to_close_timeout=TIMEOUT\n{ind})\n")
        return "".join(parts)

    def source(self) -> str:
        rng = self.rng
        filler = "".join(
            f"\n    @workflow.signal\n    async def {name}_{n}(self, value: str) -> None:\n"
            f"        self._events.append((\"{name}\", value))\n"
            for n, name in enumerate(rng.sample(["cancel", "pause", "resume", "amend", "escalate"], rng.randint(1, 4)))
        )
        return f'''

@workflow.defn
class {self.name}:
    """Runs one {self.name[:-8].lower()} from start to finish.

    Steps: fraud check, charge, optional notification, settlement, shipping.
    Signals amend the order while it runs; the query reports its status.

    Versioning History:
{self.history()}
    """

    def __init__(self) -> None:
        self._status = "new"
        self._events: list[tuple[str, str]] = []

    @workflow.run
    async def run(self, order_id: str) -> str:
        self._status = "running"
{self.run_body()}{filler}
    @workflow.query
    def status(self) -> str:
        return self._status
'''


def _workflow_module(rng: random.Random, service: str, number: int, index_of: dict[str, int],
                     active: list[str], deprecated: list[str], removed: list[str]) -> tuple[str, list[_Workflow]]:
    classes = [_Workflow(rng, number * 10 + k, index_of, active, deprecated, removed)
               for k in range(1 if rng.random() < 0.6 else 2)]
    if classes[0].active and rng.random() < 0.3:  # the helper holds a site of the first class's oldest active id
        classes[0].helper_id = classes[0].active[0]
    helper_ids = [c.helper_id for c in classes if c.helper_id]
    helper = ""
    if helper_ids:
        helper = (f'    if workflow.patched("{helper_ids[0]}"):\n'
                  f"        await workflow.sleep(timedelta(minutes=5))\n")
    text = f'''"""Workflows of {service}, batch {number}."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.{service}.activities.common import (
        {", ".join(ACTIVITIES[:6])},
        {", ".join(ACTIVITIES[6:])},
    )

TIMEOUT = timedelta(seconds={rng.choice([10, 30, 60, 120])})


async def settle_window(order_id: str) -> None:
    """Wait for the settlement window, then settle."""
{helper}    await workflow.execute_activity(settle_funds, order_id, start_to_close_timeout=TIMEOUT)


async def settle_funds(order_id: str) -> None:  # stands in for an activity reference
    return None
'''
    for c in classes:
        text += c.source()
    return text, classes


def _activity_module(rng: random.Random, service: str, number: int) -> str:
    body = [f'"""Activities of {service}, part {number}."""\n\nfrom temporalio import activity\n']
    for name in rng.sample(ACTIVITIES, rng.randint(4, 10)):
        body.append(f'''

@activity.defn(name="{service}-{name}-{number}")
async def {name}(order_id: str) -> str:
    """{name.replace("_", " ").capitalize()} for one order."""
    activity.logger.info("{name} %s", order_id)
    total = 0
    for step in range({rng.randint(2, 9)}):
        total += step * {rng.randint(1, 99)}
    return f"{{order_id}}:{{total}}"
''')
    return "".join(body)


_PLAIN_FUNC = '''

def {name}(items: list[dict], limit: int = {limit}) -> dict[str, int]:
    """Summarise {what} by key, at most `limit` entries."""
    counts: dict[str, int] = {{}}
    for item in items[:limit]:
        key = str(item.get("{key}", "unknown"))
        if key in counts:
            counts[key] += int(item.get("amount", 0)) * {factor}
        else:
            counts[key] = {start}
    return {{k: v for k, v in sorted(counts.items()) if v > {floor}}}
'''

_PLAIN_CLASS = '''

class {name}:
    """A small value holder ({what})."""

    def __init__(self, value: int = {value}) -> None:
        self.value = value
        self.history: list[int] = []

    def bump(self, by: int = {by}) -> int:
        self.history.append(self.value)
        self.value += by
        return self.value

    def __repr__(self) -> str:
        return f"{name}(value={{self.value}}, steps={{len(self.history)}})"
'''

# Real code says "patched" without meaning temporalio: a prefilter on the
# word finds these too.
_PLAIN_PATCHED = '''

def test_{name}_with_clock(monkeypatch) -> None:
    # The clock is monkeypatched so the summary is stable.
    monkeypatch.setattr("time.time", lambda: 0)
    assert {name}([]) == {{}}
'''


def _plain_module(rng: random.Random, service: str, number: int) -> str:
    words = ["orders", "refunds", "invoices", "accounts", "stock", "prices", "coupons", "events"]
    parts = [f'"""Library code of {service}, module {number}: no workflow here."""\n\n'
             "from __future__ import annotations\n\nimport json\nimport math\n"]
    functions = []
    for n in range(rng.randint(5, 45)):
        if rng.random() < 0.7:
            name = f"summarise_{rng.choice(words)}_{number}_{n}"
            functions.append(name)
            parts.append(_PLAIN_FUNC.format(name=name, limit=rng.randint(10, 1000), what=rng.choice(words),
                                            key=rng.choice(["id", "kind", "region"]), factor=rng.randint(1, 9),
                                            start=rng.randint(0, 3), floor=rng.randint(0, 5)))
        else:
            parts.append(_PLAIN_CLASS.format(name=f"Holder{number}x{n}", what=rng.choice(words),
                                             value=rng.randint(0, 100), by=rng.randint(1, 7)))
    if functions and rng.random() < 0.08:
        parts.append(_PLAIN_PATCHED.format(name=functions[0]))
    return "".join(parts)


def _large_module(rng: random.Random, number: int) -> str:
    parts = [f'"""Generated descriptor tables, part {number}. Do not edit."""\n\n', "TABLE = [\n"]
    size = sum(map(len, parts))
    row = 0
    while size < LARGE_BYTES:
        line = (f"    {{'id': {row}, 'name': 'field_{row}_{rng.randint(0, 10**6)}', "
                f"'offset': {rng.randint(0, 10**9)}, 'flags': {rng.randint(0, 255)}}},\n")
        parts.append(line)
        size += len(line)
        row += 1
    parts.append("]\n")
    return "".join(parts)


def generate(root: str | os.PathLike[str], scale: int = 1, seed: int = SEED) -> Manifest:
    """Write the monorepo into `root` (which must not exist or be empty) and
    commit it. Returns what it made."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    active, deprecated, removed = _ids(scale)
    index_of = {patch_id: i for i, patch_id in enumerate(removed + deprecated + active)}
    manifest = Manifest(root=root, active=active, deprecated=deprecated, removed=removed)
    services = [f"svc{n:02d}" for n in range(SERVICES * scale)]
    written: dict[str, str] = {}

    for n in range(WORKFLOW_MODULES * scale):
        k = n % len(services)
        service = services[k]
        path = f"services/{service}/workflows/batch_{n:04d}.py"
        pools = (ids[k::len(services)] for ids in (active, deprecated, removed))
        text, classes = _workflow_module(rng, service, n, index_of, *pools)
        written[path] = text
        manifest.workflow_files.append(path)
        manifest.workflow_classes += len(classes)
    for service in services:
        written[f"services/{service}/__init__.py"] = ""
        written[f"services/{service}/workflows/__init__.py"] = ""
        written[f"services/{service}/activities/__init__.py"] = ""
        written[f"services/{service}/activities/common.py"] = _activity_module(rng, service, 0)
    for n in range(ACTIVITY_MODULES * scale):
        service = services[n % len(services)]
        written[f"services/{service}/activities/part_{n:04d}.py"] = _activity_module(rng, service, n)
    for n in range(PLAIN_MODULES * scale):
        service = services[n % len(services)]
        written[f"services/{service}/lib/group{n % 7}/mod_{n:05d}.py"] = _plain_module(rng, service, n)
    for n in range(LARGE_MODULES):
        written[f"services/generated/tables_{n}_pb2.py"] = _large_module(rng, n)

    for path, text in written.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        for patch_id in active + deprecated:
            if f'"{patch_id}"' in text:
                manifest.files_of.setdefault(patch_id, []).append(path)
        size = len(text.encode())
        manifest.bytes += size
        if size > manifest.largest[1]:
            manifest.largest = (path, size)
    manifest.modules = len(written)
    manifest.edit_target = manifest.workflow_files[len(manifest.workflow_files) // 2]

    env = {**os.environ, **_ENV}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "--no-verify", "-m", "synthetic monorepo"]):
        subprocess.run(command, cwd=root, env=env, check=True)
    return manifest


# What a developer adds to a workflow: one more activity after settlement.
_EDIT_AFTER = "        await settle_window(order_id)\n"
_EDIT = _EDIT_AFTER + _call("audit", " " * 8)


def edit_workflow(root: str | os.PathLike[str], path: str) -> None:
    """Change the first run method of `path` as a developer would (a new
    activity call, no patch): what `check` flags and `introduce` wraps."""
    target = Path(root) / path
    text = target.read_text(encoding="utf-8")
    if _EDIT_AFTER not in text:
        raise ValueError(f"{path}: no run method to edit")
    target.write_text(text.replace(_EDIT_AFTER, _EDIT, 1), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    import sys

    made = generate(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print(f"{made.modules} modules, {made.bytes / 1e6:.1f} MB, {made.workflow_classes} workflow classes, "
          f"ids: {len(made.active)} active, {len(made.deprecated)} deprecated, {len(made.removed)} removed")
