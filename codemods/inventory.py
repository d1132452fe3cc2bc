"""What `patchmod status` knows: every patch site, changelog line and problem.

Pure `ast`, no git, no I/O. `inventory(source)` reads one module:

- every `patched("ID")` (stage `active`) and `deprecate_patch("ID")` (stage
  `deprecated`) call, with its line, class and method;
- every `Versioning History` line of each `@workflow.defn` class;
- the problems one module shows on its own, each with a line: a `patched`
  call in a loop, in a query handler or an update validator (or in code they
  reach), an id introduced twice in one class, a class over the active-patch
  limit, a site whose class has no changelog line for it, and an `if/elif`
  chain that tests an older id before a newer one.

`summarize(modules, commits, today=...)` puts the modules of a repository
together with what git says (`Patch-Id`/`Patch-Stage` trailers, the first
commit that added an id) and gives each id its stage, stage dates and age,
each workflow class its active patches, and the problems that need more than
one module: an id used for two different changes, an id both active and
deprecated, chains ordered against the repository-wide dates.

A cheap text test comes first: a module that never says `patched`,
`deprecate_patch` or `Versioning History` is not parsed at all.
"""

from __future__ import annotations

import ast
import bisect
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .findings import Refusal
from .patch_ids import HISTORY_LINE
from .source import parse_python, split_bom
from .workflow_code import READ_ONLY_ROLES, Bindings, find_workflow_code, is_pinned

SiteStage = Literal["active", "deprecated"]
Stage = Literal["active", "deprecated", "removed"]
STAGES: tuple[Stage, ...] = ("active", "deprecated", "removed")
# Changelog and trailer words for the stages a patch goes through.
STAGE_WORDS = ("introduced", "deprecated", "removed")

# Problem kinds, as `--json` spells them.
CHAIN_ORDER = "chain-order"
IN_LOOP = "in-loop"
READ_ONLY = "read-only"
REUSED_ID = "reused-id"
MIXED_STAGE = "mixed-stage"
TOO_MANY_ACTIVE = "too-many-active"
NO_CHANGELOG = "no-changelog"
UNREADABLE = "unreadable"  # a syntax error, or not UTF-8
PROBLEM_KINDS = (CHAIN_ORDER, IN_LOOP, READ_ONLY, REUSED_ID, MIXED_STAGE, TOO_MANY_ACTIVE, NO_CHANGELOG, UNREADABLE)

_MEMBERS = {"patched": "active", "deprecate_patch": "deprecated"}
_PREFILTER = ("patched", "deprecate_patch", "Versioning History")
_VERSION = re.compile(r"^(?P<stem>.+?)[-_.]?v(?P<n>\d+)$")


def might_hold_patches(source: str) -> bool:
    """The cheap test before any parse."""
    return any(word in source for word in _PREFILTER)


@dataclass(frozen=True)
class PatchSite:
    patch_id: str
    stage: SiteStage
    line: int
    class_name: str | None  # the class whose method holds the call
    method: str | None  # the top-level function or method holding it
    workflows: tuple[str, ...]  # workflow classes whose code reaches it
    in_loop: bool = False
    read_only: bool = False  # in a query handler, an update validator, or code they reach


@dataclass(frozen=True)
class ChangelogEntry:
    class_name: str
    patch_id: str
    stage: str  # introduced, deprecated, removed
    date: datetime.date | None  # None when the line's date is not a real date
    line: int
    where: str | None = None


@dataclass(frozen=True)
class WorkflowClass:
    name: str
    line: int
    pinned: bool
    active: tuple[str, ...]  # ids with a patched() site the class runs
    deprecated: tuple[str, ...]  # ids with a deprecate_patch() site it runs


@dataclass(frozen=True)
class Problem:
    line: int | None
    kind: str
    message: str
    patch_id: str | None = None


@dataclass(frozen=True)
class Chain:
    """An `if patched(A): ... elif patched(B): ...` chain: ids with the line
    of each test, in the order the code tests them (newest must come first)."""

    tests: tuple[tuple[str, int], ...]


@dataclass
class ModuleInventory:
    sites: list[PatchSite] = field(default_factory=list)
    entries: list[ChangelogEntry] = field(default_factory=list)
    classes: list[WorkflowClass] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        seen = [s.patch_id for s in self.sites] + [e.patch_id for e in self.entries]
        return list(dict.fromkeys(seen))


# -- one module ---------------------------------------------------------------------


def _literal_id(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


_Found = tuple  # (patch_id, stage, line, class_name, method, in_loop)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _candidate_lines(text: str, bindings: Bindings) -> list[int]:
    """Lines that can hold a site: they name `patched`/`deprecate_patch`
    (or a local alias of them). Only what spans them is walked."""
    names = {"patched", "deprecate_patch"} | {n for n, m in bindings.members.items() if m in _MEMBERS}
    pattern = re.compile("|".join(sorted(map(re.escape, names))))
    return [n for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]


def _scan(tree: ast.Module, bindings: Bindings, lines: list[int]) -> tuple[list[_Found], list[Chain]]:
    """Sites with their class, method and loop, and the `if/elif` chains of
    `patched()` tests, walking only the nodes that span a candidate line."""
    found: list[_Found] = []
    chains: list[Chain] = []
    in_chain: set[int] = set()

    def spans(node: ast.AST) -> bool:
        low = getattr(node, "lineno", None)
        if low is None:
            return True
        i = bisect.bisect_left(lines, low)
        return i < len(lines) and lines[i] <= (getattr(node, "end_lineno", None) or low)

    def tested(node: ast.AST) -> tuple[str, int] | None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Call) and bindings.member(node.test.func) == "patched":
            patch_id = _literal_id(node.test)
            return None if patch_id is None else (patch_id, node.test.lineno)
        return None

    stack: list[tuple[ast.AST, str | None, str | None, bool]] = [(tree, None, None, False)]
    while stack:
        node, class_name, method, loop = stack.pop()
        if isinstance(node, ast.ClassDef) and method is None:
            class_name = node.name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if method is None and not isinstance(node, ast.Lambda):
                method = node.name
            loop = False  # a function defined in a loop runs when it is called
        elif isinstance(node, ast.Call):
            member = bindings.member(node.func)
            patch_id = _literal_id(node) if member in _MEMBERS else None
            if patch_id is not None:
                found.append((patch_id, _MEMBERS[member], node.lineno, class_name, method, loop))  # type: ignore[index]
        elif isinstance(node, ast.If) and id(node) not in in_chain and tested(node) is not None:
            tests = []
            current: ast.AST | None = node
            while current is not None and (test := tested(current)) is not None:
                in_chain.add(id(current))
                tests.append(test)
                orelse = current.orelse  # type: ignore[attr-defined]
                current = orelse[0] if len(orelse) == 1 else None
            if len(tests) > 1:
                chains.append(Chain(tuple(tests)))
        if isinstance(node, _LOOPS):
            looped = {id(n) for n in node.body} | ({id(node.test)} if isinstance(node, ast.While) else set())
        elif isinstance(node, _COMPREHENSIONS):
            looped = None  # every part
        else:
            looped = set()
        for child in ast.iter_child_nodes(node):
            if spans(child):
                child_loop = loop or looped is None or id(child) in looped  # type: ignore[operator]
                stack.append((child, class_name, method, child_loop))
    found.sort(key=lambda f: f[2])
    chains.sort(key=lambda c: c.tests[0][1])
    return found, chains


def _strip_quotes(line: str) -> str:
    text = line.strip()
    text = re.sub(r'^[rRuU]?("""|\'\'\'|"|\')', "", text)
    return re.sub(r'("""|\'\'\'|"|\')$', "", text).strip()


def _changelog(cls: ast.ClassDef, lines: list[str]) -> list[ChangelogEntry]:
    if not cls.body:
        return []
    first = cls.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)):
        return []
    entries = []
    for number in range(first.lineno, (first.end_lineno or first.lineno) + 1):
        match = HISTORY_LINE.match(_strip_quotes(lines[number - 1]))
        if match is None:
            continue
        try:
            date: datetime.date | None = datetime.date.fromisoformat(match["date"])
        except ValueError:
            date = None
        entries.append(ChangelogEntry(cls.name, match["id"], match["stage"], date, number, match["where"]))
    return entries


def _version(patch_id: str) -> tuple[str, int] | None:
    match = _VERSION.match(patch_id)
    return (match["stem"], int(match["n"])) if match else None


def chain_problems(chains: Iterable[Chain], introduced: Mapping[str, datetime.date]) -> list[Problem]:
    """Chains that test an older id before a newer one. "Older" comes from
    the introduced dates, else from the ids' versions (`x-v1` before
    `x-v2`), else from another chain that orders the same two ids the other
    way round."""
    chains = list(chains)
    problems: list[Problem] = []
    first_order: dict[frozenset[str], tuple[str, str, int]] = {}
    for chain in chains:
        for (newer, line), (older, _) in zip(chain.tests, chain.tests[1:]):
            a, b = introduced.get(newer), introduced.get(older)
            if a is not None and b is not None and a != b:
                if a < b:
                    problems.append(Problem(line, CHAIN_ORDER, (
                        f"chain tests {newer!r} (introduced {a}) before the newer {older!r} "
                        f"(introduced {b}): newest first, or old executions take the wrong branch"), newer))
                continue
            va, vb = _version(newer), _version(older)
            if va and vb and va[0] == vb[0] and va[1] != vb[1]:
                if va[1] < vb[1]:
                    problems.append(Problem(line, CHAIN_ORDER, (
                        f"chain tests {newer!r} before the newer {older!r}: newest first, "
                        "or old executions take the wrong branch"), newer))
                continue
            key = frozenset((newer, older))
            if key not in first_order:
                first_order[key] = (newer, older, line)
            elif first_order[key][:2] != (newer, older):
                problems.append(Problem(line, CHAIN_ORDER, (
                    f"chain tests {newer!r} before {older!r}, but the chain at line {first_order[key][2]} "
                    "tests them the other way round: one of them is in the wrong order"), newer))
    return problems


def _introduced_dates(entries: Iterable[ChangelogEntry]) -> dict[str, datetime.date]:
    dates: dict[str, datetime.date] = {}
    for entry in entries:
        if entry.stage == "introduced" and entry.date is not None:
            if entry.patch_id not in dates or entry.date < dates[entry.patch_id]:
                dates[entry.patch_id] = entry.date
    return dates


def inventory(source: str, *, max_active_patches: int = 3) -> ModuleInventory:
    """Patch sites, changelog lines, workflow classes and problems of one module.

    Never raises for bad input: a syntax error is a problem at its line."""
    result = ModuleInventory()
    _bom, text = split_bom(source)
    if not might_hold_patches(text):
        return result
    try:
        tree = parse_python(text)
    except Refusal as refusal:
        finding = refusal.findings[0]
        result.problems.append(Problem(finding.line, UNREADABLE, f"cannot read this module: {finding.message}"))
        return result
    except RecursionError:
        result.problems.append(Problem(None, UNREADABLE, "cannot read this module: too deeply nested"))
        return result
    code = find_workflow_code(tree)
    lines = text.splitlines()

    found, result.chains = _scan(tree, code.bindings, _candidate_lines(text, code.bindings))
    for patch_id, stage, line, class_name, method, in_loop in found:
        qualname = f"{class_name}.{method}" if class_name and method else method
        fn = code.functions.get(qualname or "")
        if fn is not None:
            workflows = tuple(dict.fromkeys(fn.owners or ([class_name] if class_name in code.classes else [])))
            read_only = fn.read_only or fn.role in READ_ONLY_ROLES
        else:
            workflows = (class_name,) if class_name in code.classes else ()
            read_only = False
        result.sites.append(PatchSite(patch_id, stage, line, class_name, method, workflows, in_loop, read_only))

    for name, cls in code.classes.items():
        entries = _changelog(cls, lines)
        result.entries.extend(entries)
        runs = [s for s in result.sites if name in s.workflows]
        active = tuple(dict.fromkeys(s.patch_id for s in runs if s.stage == "active"))
        deprecated = tuple(dict.fromkeys(s.patch_id for s in runs if s.stage == "deprecated"))
        result.classes.append(WorkflowClass(name, cls.lineno, is_pinned(cls, code.bindings), active, deprecated))
        if len(active) > max_active_patches:
            result.problems.append(Problem(cls.lineno, TOO_MANY_ACTIVE, (
                f"{name} has {len(active)} active patches (limit {max_active_patches}): "
                "deprecate the oldest once no execution needs them")))
        introduced_at: dict[str, int] = {}
        for entry in entries:
            if entry.stage != "introduced":
                continue
            if entry.patch_id in introduced_at:
                result.problems.append(Problem(entry.line, REUSED_ID, (
                    f"{name}'s Versioning History introduces {entry.patch_id!r} a second time "
                    f"(first at line {introduced_at[entry.patch_id]}): an id is used for one change, once, ever"),
                    entry.patch_id))
            else:
                introduced_at[entry.patch_id] = entry.line
        by_stage = {(e.patch_id, e.stage) for e in entries}
        for site in runs:
            word = "introduced" if site.stage == "active" else "deprecated"
            if (site.patch_id, word) not in by_stage:
                call = "patched" if site.stage == "active" else "deprecate_patch"
                result.problems.append(Problem(site.line, NO_CHANGELOG, (
                    f"{call}({site.patch_id!r}) has no '{word} {site.patch_id}' line "
                    f"in {name}'s Versioning History"), site.patch_id))

    for site in result.sites:
        call = "patched" if site.stage == "active" else "deprecate_patch"
        if site.stage == "active" and site.in_loop:
            result.problems.append(Problem(site.line, IN_LOOP, (
                f"patched({site.patch_id!r}) inside a loop in {site.method}(): every iteration asks "
                "the same question; prefer wrapping the whole loop"), site.patch_id))
        if site.read_only:
            result.problems.append(Problem(site.line, READ_ONLY, (
                f"{call}({site.patch_id!r}) in {site.method}(), which a query handler or update "
                "validator runs: it fails there at run time (read-only)"), site.patch_id))

    result.problems.extend(chain_problems(result.chains, _introduced_dates(result.entries)))
    result.problems.sort(key=lambda p: (p.line or 0, p.kind))
    return result


# -- a repository ---------------------------------------------------------------------


@dataclass(frozen=True)
class CommitRecord:
    """A commit that carries `Patch-Id` trailers (patchmod's own commits)."""

    sha: str
    date: datetime.date
    patch_ids: tuple[str, ...]
    stage: str  # introduced, deprecated, removed (the Patch-Stage trailer)


@dataclass(frozen=True)
class FileSite:
    file: str
    site: PatchSite


@dataclass
class PatchStatus:
    patch_id: str
    stage: Stage
    dates: dict[str, datetime.date | None]  # introduced/deprecated/removed
    sources: dict[str, str | None]  # where each date comes from: changelog, git trailer, git history
    sites: list[FileSite]
    workflows: list[str]  # "file:Class": classes that run a site or name the id in their changelog
    age_days: int | None  # since introduced
    stage_age_days: int | None  # since the current stage began


@dataclass(frozen=True)
class WorkflowStatus:
    file: str
    line: int
    name: str
    pinned: bool
    active: tuple[str, ...]
    deprecated: tuple[str, ...]
    over_limit: bool


@dataclass(frozen=True)
class FileProblem:
    file: str | None
    line: int | None
    kind: str
    message: str
    patch_id: str | None = None


@dataclass
class RepositoryStatus:
    patches: list[PatchStatus]
    workflows: list[WorkflowStatus]
    problems: list[FileProblem]


def _earliest(dates: Iterable[datetime.date | None]) -> datetime.date | None:
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def summarize(
    modules: Mapping[str, ModuleInventory],
    commits: Iterable[CommitRecord] = (),
    *,
    today: datetime.date,
    first_seen: Mapping[str, datetime.date] | None = None,
    max_active_patches: int = 3,
) -> RepositoryStatus:
    """The repository's patches: `modules` by repository-relative path,
    `commits` with patch trailers (newest first or in any order),
    `first_seen` the date git first saw an id that has no other date."""
    commits = sorted(commits, key=lambda c: c.date)
    first_seen = first_seen or {}
    problems: list[FileProblem] = []

    sites: dict[str, list[FileSite]] = {}
    entries: dict[str, list[tuple[str, ChangelogEntry]]] = {}
    for path in sorted(modules):
        module = modules[path]
        for site in module.sites:
            sites.setdefault(site.patch_id, []).append(FileSite(path, site))
        for entry in module.entries:
            entries.setdefault(entry.patch_id, []).append((path, entry))
        problems.extend(FileProblem(path, p.line, p.kind, p.message, p.patch_id)
                        for p in module.problems if p.kind != CHAIN_ORDER)

    by_commit: dict[str, list[CommitRecord]] = {}
    for record in commits:
        for patch_id in record.patch_ids:
            by_commit.setdefault(patch_id, []).append(record)

    ids = list(dict.fromkeys([*sites, *entries, *by_commit]))
    patches: list[PatchStatus] = []
    introduced_dates: dict[str, datetime.date] = {}
    for patch_id in ids:
        id_sites = sites.get(patch_id, [])
        id_entries = entries.get(patch_id, [])
        id_commits = by_commit.get(patch_id, [])
        if any(s.site.stage == "active" for s in id_sites):
            stage: Stage = "active"
        elif id_sites:
            stage = "deprecated"
        else:
            stage = "removed"

        dates: dict[str, datetime.date | None] = {}
        sources: dict[str, str | None] = {}
        for word in STAGE_WORDS:
            from_log = _earliest(e.date for _, e in id_entries if e.stage == word)
            from_git = _earliest(c.date for c in id_commits if c.stage == word)
            if from_log is not None:
                dates[word], sources[word] = from_log, "changelog"
            elif from_git is not None:
                dates[word], sources[word] = from_git, "git trailer"
            else:
                dates[word], sources[word] = None, None
        if dates["introduced"] is None and patch_id in first_seen:
            dates["introduced"], sources["introduced"] = first_seen[patch_id], "git history"
        if dates["introduced"] is not None:
            introduced_dates[patch_id] = dates["introduced"]
        current = {"active": "introduced", "deprecated": "deprecated", "removed": "removed"}[stage]
        since = dates[current]
        age = (today - dates["introduced"]).days if dates["introduced"] else None
        workflows = list(dict.fromkeys([*(f"{s.file}:{w}" for s in id_sites for w in s.site.workflows),
                                        *(f"{path}:{e.class_name}" for path, e in id_entries)]))
        patches.append(PatchStatus(patch_id, stage, dates, sources, id_sites, workflows, age,
                                   (today - since).days if since else None))

        problems.extend(_reuse_problems(patch_id, stage, id_sites, id_entries, id_commits))
        if stage == "active":
            deprecated_at = [s for s in id_sites if s.site.stage == "deprecated"]
            if deprecated_at:
                other = deprecated_at[0]
                for s in id_sites:
                    if s.site.stage == "active":
                        problems.append(FileProblem(s.file, s.site.line, MIXED_STAGE, (
                            f"patched({patch_id!r}) is still here, but {other.file}:{other.site.line} "
                            f"deprecates it already: run `patchmod deprecate {patch_id}` to finish"), patch_id))

    for path in sorted(modules):
        for problem in chain_problems(modules[path].chains, introduced_dates):
            problems.append(FileProblem(path, problem.line, problem.kind, problem.message, problem.patch_id))

    workflows = [
        WorkflowStatus(path, cls.line, cls.name, cls.pinned, cls.active, cls.deprecated,
                       len(cls.active) > max_active_patches)
        for path in sorted(modules) for cls in modules[path].classes
    ]
    order = {stage: n for n, stage in enumerate(STAGES)}
    patches.sort(key=lambda p: (order[p.stage], p.dates["introduced"] or datetime.date.max, p.patch_id))
    problems.sort(key=lambda p: (p.file or "", p.line or 0, p.kind))
    return RepositoryStatus(patches, workflows, list(dict.fromkeys(problems)))


def _reuse_problems(patch_id: str, stage: Stage, id_sites: list[FileSite],
                    id_entries: list[tuple[str, ChangelogEntry]], id_commits: list[CommitRecord]) -> list[FileProblem]:
    """An id used for two different changes: introduced on different dates
    in different classes, introduced by two commits, or back in the code
    after it was removed."""
    problems: list[FileProblem] = []
    introduced = [(path, e) for path, e in id_entries if e.stage == "introduced" and e.date is not None]
    by_class: dict[tuple[str, str], datetime.date] = {}
    for path, entry in introduced:
        by_class.setdefault((path, entry.class_name), entry.date)  # type: ignore[arg-type]
    if len(set(by_class.values())) > 1:
        first_path, first = min(introduced, key=lambda pe: (pe[1].date, pe[0], pe[1].line))
        for path, entry in introduced:
            if entry.date != first.date:
                problems.append(FileProblem(path, entry.line, REUSED_ID, (
                    f"{patch_id!r} introduced in {entry.class_name} on {entry.date}, but in "
                    f"{first.class_name} ({first_path}:{first.line}) on {first.date}: an id is used for "
                    "one change, once, ever"), patch_id))
    introducing = [c for c in id_commits if c.stage == "introduced"]
    if len(introducing) > 1:
        shas = ", ".join(c.sha[:12] for c in introducing)
        problems.append(FileProblem(None, None, REUSED_ID, (
            f"{patch_id!r} was introduced by {len(introducing)} commits ({shas}): "
            "an id is used for one change, once, ever"), patch_id))
    removed_log = [(path, e) for path, e in id_entries if e.stage == "removed"]
    removed_git = [c for c in id_commits if c.stage == "removed"]
    if stage == "active" and (removed_log or removed_git):
        when = removed_log[0][1].date if removed_log else removed_git[0].date
        for s in id_sites:
            if s.site.stage == "active":
                problems.append(FileProblem(s.file, s.site.line, REUSED_ID, (
                    f"patched({patch_id!r}) is back, but {patch_id!r} was removed on {when}: histories "
                    "recorded with the old marker take the new code; pick a new id"), patch_id))
    return problems
