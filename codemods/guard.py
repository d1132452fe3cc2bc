"""check: did workflow code change without a new patch?

`check_module(base, head)` compares two versions of one module with the
projection oracle (projection.py). The rule, from DESIGN.md: in every world
where each *newly introduced* id is false, the head must behave as the base,
function by function, for every function the base runs in a workflow. Old
executions never saw the new ids, so that is the code they replay.

- New ids are those with a `patched()` site in the head that the base does not
  know (no site, no changelog line).
- Ids active in both are enumerated (each combination when there are few).
- Ids the head retires (active in the base, deprecated in the head) are taken
  as true: deprecate keeps the patched branch. An id whose last `patched()`
  site is gone without a `deprecate_patch()` left behind skipped a stage.
- Workflows the base declares pinned (`versioning_behavior=...PINNED`) need
  no patch: their changes are noted, not reported.

Also reported: calls newly added to workflow code that are not deterministic
(`random`, `time.time`, `datetime.now`, `uuid.uuid4`, `os.environ`, threads,
file and network I/O), each with the deterministic alternative; a patch call
newly placed where a query handler or update validator runs it; and an id
the base already used.

Pure `ast`, no git, no I/O, no libcst.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .inventory import READ_ONLY, inventory
from .patch_ids import history_ids, invalid_reason, vague_reason
from .projection import ProjectedFunction, World, patch_ids, projected_functions
from .source import parse_python, split_bom
from .workflow_code import (
    ENTRY_ROLES,
    READ_ONLY_ROLES,
    WorkflowCode,
    dotted_name,
    find_workflow_code,
    is_pinned,
    module_level_names,
    paused_gc,
    pinned_note,
)

# Up to this many ids shared by base and head, every combination of their
# truth values is checked; above it, the worlds Temporal can produce in the
# order the ids appear (each id on implies the earlier ones on).
MAX_ENUMERATED_IDS = 5

FindingKind = Literal["unpatched", "nondeterministic", "read-only", "reused-id", "skipped-stage"]


@dataclass(frozen=True)
class GuardFinding:
    line: int
    function: str | None  # method or function name, e.g. "run"
    kind: FindingKind
    message: str  # what is wrong, without the file and line
    side: Literal["edited", "base"] = "edited"  # which text `line` counts in
    # For an unpatched change: what to do when `patchmod introduce` cannot
    # do it (None: run introduce with the suggested id).
    remedy: str | None = None


@dataclass(frozen=True)
class PinnedNote:
    line: int
    class_name: str
    message: str


@dataclass
class GuardResult:
    findings: list[GuardFinding] = field(default_factory=list)
    pinned: list[PinnedNote] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    changed_classes: list[str] = field(default_factory=list)  # workflow classes whose behaviour changed
    suggested_id: str | None = None  # for `patchmod introduce`, when a finding needs one


# -- non-determinism ----------------------------------------------------------

_ACTIVITY = "an activity (workflow code must not do I/O)"
# Qualified name (or prefix, at a dot) -> the deterministic alternative.
NONDETERMINISTIC: dict[str, str] = {
    "random": "workflow.random()",
    "secrets": "workflow.random(), or an activity",
    "time.time": "workflow.time() or workflow.now()",
    "time.time_ns": "workflow.time_ns() or workflow.now()",
    "time.monotonic": "workflow.time()",
    "time.monotonic_ns": "workflow.time_ns()",
    "time.perf_counter": "workflow.time()",
    "time.perf_counter_ns": "workflow.time_ns()",
    "time.localtime": "workflow.now()",
    "time.gmtime": "workflow.now()",
    "time.sleep": "await workflow.sleep(...)",
    "datetime.datetime.now": "workflow.now()",
    "datetime.datetime.utcnow": "workflow.now()",
    "datetime.datetime.today": "workflow.now()",
    "datetime.date.today": "workflow.now().date()",
    "uuid.uuid1": "workflow.uuid4()",
    "uuid.uuid4": "workflow.uuid4()",
    "os.environ": "a workflow argument, or an activity",
    "os.getenv": "a workflow argument, or an activity",
    "os.urandom": "workflow.random()",
    "threading": "asyncio tasks and workflow.wait_condition()",
    "concurrent.futures": "asyncio tasks and workflow.wait_condition()",
    "multiprocessing": _ACTIVITY,
    "subprocess": _ACTIVITY,
    "open": _ACTIVITY,
    "requests": _ACTIVITY,
    "httpx": _ACTIVITY,
    "aiohttp": _ACTIVITY,
    "urllib": _ACTIVITY,
    "http.client": _ACTIVITY,
    "socket": _ACTIVITY,
}


def _import_map(nodes: Iterable[ast.stmt]) -> dict[str, str]:
    """Local name -> qualified name, from import statements."""
    names: dict[str, str] = {}
    for stmt in nodes:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for alias in stmt.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return names


def _match(qualified: str) -> str | None:
    parts = qualified.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in NONDETERMINISTIC:
            return ".".join(parts[:n])
    return None


def nondeterministic_calls(
    tree: ast.Module, code: WorkflowCode, nodes: Sequence[ast.AST]
) -> dict[str, list[tuple[str, int, str]]]:
    """Per workflow function (qualified name): (what it uses, line, the
    deterministic alternative) for each use of a non-deterministic API, e.g.
    `("random.randint()", 12, "workflow.random()")`. `code` is
    `find_workflow_code(tree)` and `nodes` `list(ast.walk(tree))`: the
    caller has both already."""
    module_imports = _import_map(nodes)  # type: ignore[arg-type]
    module_names = module_level_names(tree)
    found: dict[str, list[tuple[str, int, str]]] = {}
    for qualname, fn in code.functions.items():
        if not fn.runs_in_workflow or fn.role in READ_ONLY_ROLES:
            continue
        walked = list(ast.walk(fn.node))  # walked once, in ast.walk's order
        imports = {**module_imports, **_import_map(n for n in walked if isinstance(n, ast.stmt))}
        inner: set[int] = set()
        called: set[int] = set()
        for node in walked:
            if isinstance(node, ast.Attribute):
                inner.add(id(node.value))
            elif isinstance(node, ast.Call):
                called.add(id(node.func))
        hits = []
        for node in walked:
            if id(node) in inner or not isinstance(node, (ast.Attribute, ast.Name)):
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            name = dotted_name(node)
            if name is None:
                continue
            head, _, rest = name.partition(".")
            if head in imports:
                qualified = imports[head] + (f".{rest}" if rest else "")
            elif name == "open" and "open" not in module_names:
                qualified = "open"
            else:
                continue
            api = _match(qualified)
            if api is not None:
                shown = f"{qualified}()" if id(node) in called else qualified
                hits.append((shown, node.lineno, NONDETERMINISTIC[api]))
        if hits:
            found[qualname] = sorted(hits, key=lambda h: h[1])
    return found


# -- locating what changed ----------------------------------------------------------


def _key(node: ast.AST) -> str:
    return ast.dump(node)


def _short(node: ast.AST, limit: int = 100) -> str:
    text = ast.unparse(node).splitlines()[0]
    if isinstance(node, ast.stmt) and hasattr(node, "body") and not text.endswith(":"):
        text += ":"
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _header(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.If, ast.While)):
        return f"{type(node).__name__}:{_key(node.test)}"
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return f"{type(node).__name__}:{_key(node.target)}:{_key(node.iter)}"
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return f"{type(node).__name__}:" + "|".join(_key(i) for i in node.items)
    if isinstance(node, ast.Try):
        kinds = "|".join(f"{_key(h.type) if h.type else '*'} as {h.name}" for h in node.handlers)
        return f"Try:{kinds}:{bool(node.orelse)}:{bool(node.finalbody)}"
    return None


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(node, name) for name in ("body", "orelse", "finalbody") if getattr(node, name, None)]
    if isinstance(node, ast.Try):
        blocks += [h.body for h in node.handlers]
    return blocks


@dataclass(frozen=True)
class Change:
    line: int  # in the head
    verb: Literal["added", "removed", "changed"]
    what: str  # ready to print after the verb
    node: ast.AST | None  # the head statement (or the base one, for a removal)
    binding: bool = False  # a module or class value the function reads changed


def _anchor(head: Sequence[ast.stmt], j: int, fallback: int) -> int:
    if j < len(head):
        return head[j].lineno
    return (head[-1].end_lineno or head[-1].lineno) if head else fallback


def _run(stmts: Sequence[ast.stmt]) -> str:
    more = len(stmts) - 1
    return f"`{_short(stmts[0])}`" + (f" and {more} more statement{'s' if more > 1 else ''}" if more else "")


def _replacement(old: ast.AST, new: ast.AST) -> str:
    """`old` -> `new` told by the part that differs: `timedelta(seconds=10)`
    -> `timedelta(seconds=30)` says more than two cut-off statements."""
    a, b = (re.sub(r"\s+", " ", ast.unparse(n)) for n in (old, new))
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    # Widen to whole words so that `10` reads `seconds=10`.
    while start > 0 and (a[start - 1].isalnum() or a[start - 1] in "_=."):
        start -= 1
    while end > 0 and (a[len(a) - end].isalnum() or a[len(a) - end] in "_"):
        end -= 1
    old_part, new_part = a[start: len(a) - end], b[start: len(b) - end]
    def balanced(text: str) -> bool:
        return all(text.count(o) == text.count(c) for o, c in ("()", "[]", "{}")) and text.count("'") % 2 == 0

    whole = type(old) is not type(new) or not (balanced(old_part) and balanced(new_part))
    if whole or len(a) <= 60 and len(b) <= 60 or not old_part or not new_part:
        return f"`{_short(old)}` to `{_short(new)}`"
    cut = lambda text: text if len(text) <= 50 else text[:47] + "..."  # noqa: E731
    return f"`{cut(old_part)}` to `{cut(new_part)}` in `{_short(new, 50)}`"


def block_changes(base: Sequence[ast.stmt], head: Sequence[ast.stmt], fallback: int) -> list[Change]:
    """What changed between two statement lists, descending into compound
    statements whose header stayed. Lines count in the head."""
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(None, [_key(s) for s in base], [_key(s) for s in head], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            changes.append(Change(head[j1].lineno, "added", _run(head[j1:j2]), head[j1]))
            continue
        if tag == "delete":
            changes.append(Change(_anchor(head, j2, fallback), "removed", _run(base[i1:i2]), base[i1]))
            continue
        if i2 - i1 == j2 - j1:
            for b, h in zip(base[i1:i2], head[j1:j2]):
                header = _header(b)
                if type(b) is type(h) and header is not None and header == _header(h) \
                        and len(_blocks(b)) == len(_blocks(h)):
                    for b_block, h_block in zip(_blocks(b), _blocks(h)):
                        changes += block_changes(b_block, h_block, h.lineno)
                else:
                    changes.append(Change(h.lineno, "changed", _replacement(b, h), h))
            continue
        changes.append(Change(head[j1].lineno, "changed", f"{_run(base[i1:i2])} to {_run(head[j1:j2])}", head[j1]))
    return changes


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    names = [ast.arg(arg=a.arg) for a in every if a is not None]
    defaults = [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
    return "|".join([type(node).__name__, *map(_key, names), "defaults", *map(_key, defaults),
                     "decorators", *map(_key, node.decorator_list)])


def function_changes(base: ProjectedFunction, head: ProjectedFunction) -> list[Change]:
    """Where `head` behaves differently from `base` (both folded)."""
    changes: list[Change] = []
    if _signature(base.node) != _signature(head.node):
        changes.append(Change(head.node.lineno, "changed", f"the def line of {head.node.name}()", None))
    changes += block_changes(base.node.body, head.node.body, head.node.lineno)
    base_names = dict(line.split(": ", 1) for line in base.borrowed if ": " in line)
    head_names = dict(line.split(": ", 1) for line in head.borrowed if ": " in line)
    for name in sorted(set(base_names) & set(head_names)):
        if base_names[name] != head_names[name]:
            line = _first_use(head.node, name)
            changes.append(Change(line, "changed", f"what `{name}` is (`{base_names[name]}` to `{head_names[name]}`)",
                                  None, binding=True))
    return changes


def _first_use(node: ast.AST, name: str) -> int:
    owner, _, attr = name.partition(".")
    lines = []
    for child in ast.walk(node):
        if attr and isinstance(child, ast.Attribute) and child.attr == attr and \
                isinstance(child.value, ast.Name) and child.value.id == owner:
            lines.append(child.lineno)
        elif not attr and isinstance(child, ast.Name) and child.id == name:
            lines.append(child.lineno)
    return min(lines) if lines else getattr(node, "lineno", 1)


# -- the worlds to check -----------------------------------------------------------


def _worlds(shared: list[str], fixed: dict[str, bool]) -> list[World]:
    if len(shared) <= MAX_ENUMERATED_IDS:
        combos = [dict(zip(shared, values)) for values in itertools.product((False, True), repeat=len(shared))]
    else:
        combos = [{i: n < k for n, i in enumerate(shared)} for k in range(len(shared) + 1)]
    return [World({**combo, **fixed}) for combo in combos]


def _site_lines(code: WorkflowCode, member: str, nodes: Sequence[ast.AST]) -> dict[str, int]:
    """First line of each id's `member` call among `nodes` (a module's
    `ast.walk`), the calls recognised by `code`'s bindings."""
    bindings = code.bindings
    lines: dict[str, int] = {}
    for node in nodes:
        if isinstance(node, ast.Call) and bindings.member(node.func) == member and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                lines.setdefault(arg.value, node.lineno)
    return lines


# -- suggesting an id --------------------------------------------------------------

_COMMAND_CALLS = ("execute_activity", "start_activity", "execute_local_activity", "start_local_activity",
                  "execute_child_workflow", "start_child_workflow", "execute_activity_method",
                  "start_activity_method")


def _subject(node: ast.AST | None) -> str | None:
    """The activity, child workflow or function a changed statement is about."""
    if node is None:
        return None
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    for call in calls:
        name = dotted_name(call.func) or ""
        if name.rsplit(".", 1)[-1] in _COMMAND_CALLS and call.args:
            target = dotted_name(call.args[0])
            if target:
                return target.rsplit(".", 1)[-1]
            if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                return call.args[0].value
    for call in calls:
        name = dotted_name(call.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last and last not in ("patched", "deprecate_patch"):
            return last
    return None


def _slug(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def suggest_id(change: Change, function: str | None, stem: str, taken: Iterable[str]) -> str:
    """A descriptive id with a version that `taken` does not hold:
    `add-check-fraud-v1`, `change-charge-v1`, or `<file-stem>-<function>-change-v1`."""
    verb = {"added": "add", "removed": "remove", "changed": "change"}[change.verb]
    subject = _subject(change.node)
    candidates = []
    if subject:
        candidates.append(f"{verb}-{_slug(subject)}")
    candidates.append(f"{_slug(stem)}-{_slug(function or 'workflow')}-{verb}")
    candidates.append(f"{_slug(stem) or 'workflow'}-change")
    taken = set(taken)
    for words in candidates:
        if not words or vague_reason(f"{words}-v1") or invalid_reason(f"{words}-v1"):
            continue
        for version in itertools.count(1):
            candidate = f"{words}-v{version}"
            if candidate not in taken:
                return candidate
    return "workflow-change-v1"  # pragma: no cover - the last candidate is always descriptive


# -- the check ----------------------------------------------------------------------


def check_module(base: str, head: str, *, stem: str = "workflow") -> GuardResult:
    """Findings for one module: `base` the old text, `head` the new one.

    Raises `Refusal` (from `parse_python`) when either side does not parse."""
    with paused_gc():
        return _check_module(base, head, stem=stem)


def _check_module(base: str, head: str, *, stem: str) -> GuardResult:
    _, base = split_bom(base)
    _, head = split_bom(head)
    base_tree = parse_python(base, "base")
    head_tree = parse_python(head, "edited")
    result = GuardResult()
    base_code = find_workflow_code(base_tree)
    head_code = find_workflow_code(head_tree)
    if not base_code.classes and not head_code.classes:
        return result

    base_active = patch_ids(base_tree)
    head_active = patch_ids(head_tree)
    # Each tree walked once, for every pass over all its nodes below.
    base_nodes = list(ast.walk(base_tree))
    head_nodes = list(ast.walk(head_tree))
    base_deprecated = _site_lines(base_code, "deprecate_patch", base_nodes)
    head_deprecated = _site_lines(head_code, "deprecate_patch", head_nodes)
    base_known = set(base_active) | set(base_deprecated) | set(history_ids(base))
    head_lines = _site_lines(head_code, "patched", head_nodes)
    base_lines = _site_lines(base_code, "patched", base_nodes)

    result.new_ids = [i for i in head_active if i not in base_known]
    reused = [i for i in head_active if i in base_known and i not in base_active]
    retired = [i for i in base_active if i not in head_active]
    shared = [i for i in base_active if i in head_active]
    for patch_id in reused:
        result.findings.append(GuardFinding(head_lines[patch_id], None, "reused-id", (
            f"patch id {patch_id!r} was used before (the base has it deprecated or in a Versioning History): "
            "histories recorded with its marker would take this new code; pick a new id")))
    for patch_id in retired:
        if patch_id not in head_deprecated:
            result.findings.append(GuardFinding(base_lines[patch_id], None, "skipped-stage", (
                f"patched({patch_id!r}) is gone without a deprecate_patch({patch_id!r}) left behind: histories "
                f"recorded with its marker no longer replay; run `patchmod deprecate {patch_id}` first"), "base"))

    fixed = {**{i: False for i in result.new_ids + reused}, **{i: True for i in retired}}
    # The base decides, as in introduce: executions already running were
    # started by the base's build, so only a base that pins a class keeps
    # them off the new code. Pinning a class in the same change spares
    # nothing that is running now.
    pinned_classes = {name for name, cls in base_code.classes.items() if is_pinned(cls, base_code.bindings)}

    seen: dict[tuple[int, str], GuardFinding] = {}
    changed: dict[str, Change] = {}  # first change per function, for the suggestion
    pinned_changed: dict[str, int] = {}
    for world in _worlds(shared, fixed):
        # From the text: `fold` parses it afresh, several times faster than
        # the deep copy of the tree it would make (same tree either way).
        base_fns = projected_functions(base, world)
        head_fns = projected_functions(head, world)
        for qualname, base_fn in base_fns.items():
            head_fn = head_fns.get(qualname)
            owners = set(base_fn.owners) | (set(head_fn.owners) if head_fn else set())
            if head_fn is None:
                if base_fn.role not in ENTRY_ROLES or qualname in head_code.functions:
                    continue  # no longer reached: its caller's change is reported
                changes = [Change(base_fn.node.lineno, "removed", f"the {base_fn.role} handler {qualname}()", None)]
                side = "base"
            elif base_fn.normalized == head_fn.normalized:
                continue
            else:
                changes = function_changes(base_fn, head_fn)
                side = "edited"
            if not changes:
                continue  # annotations only: no behaviour changed
            if owners and owners <= pinned_classes:
                for owner in sorted(owners):
                    cls = head_code.classes.get(owner) or base_code.classes[owner]
                    pinned_changed.setdefault(owner, cls.lineno)
                continue
            for change in changes:
                remedy = None
                if side == "base":
                    remedy = "old executions may still call it: keep the handler (a patch cannot bring it back)"
                elif change.binding:
                    remedy = ("keep the old value for old executions (under another name) and choose "
                              "with workflow.patched() where it is read")
                else:
                    changed.setdefault(qualname, change)
                message = f"{change.verb} {change.what}"
                finding = GuardFinding(change.line, base_fn.node.name, "unpatched", message, side, remedy)  # type: ignore[arg-type]
                seen.setdefault((change.line, message), finding)
            result.changed_classes.extend(sorted(owners - pinned_classes))
    result.findings.extend(seen.values())
    result.changed_classes = list(dict.fromkeys(result.changed_classes))
    for owner, line in pinned_changed.items():
        result.pinned.append(PinnedNote(line, owner, pinned_note(owner)))

    # Non-deterministic calls newly added to workflow code.
    before = nondeterministic_calls(base_tree, base_code, base_nodes)
    for qualname, hits in nondeterministic_calls(head_tree, head_code, head_nodes).items():
        left: dict[str, int] = {}
        for api, _, _ in before.get(qualname, []):
            left[api] = left.get(api, 0) + 1
        for api, line, alternative in hits:
            if left.get(api, 0) > 0:
                left[api] -= 1
                continue
            result.findings.append(GuardFinding(line, qualname.rsplit(".", 1)[-1], "nondeterministic", (
                f"{api} is not deterministic in workflow code (a replay gets another result); "
                f"use {alternative}")))

    # Patch calls newly placed where they fail at run time.
    old_read_only = {(p.patch_id, p.message) for p in inventory(base).problems if p.kind == READ_ONLY}
    for problem in inventory(head).problems:
        if problem.kind == READ_ONLY and (problem.patch_id, problem.message) not in old_read_only:
            result.findings.append(GuardFinding(problem.line or 1, None, "read-only", problem.message))

    result.findings.sort(key=lambda f: (f.side != "edited", f.line, f.kind))
    if changed:
        qualname, change = min(changed.items(), key=lambda item: item[1].line)
        taken = base_known | set(head_active) | set(head_deprecated) | set(history_ids(head))
        result.suggested_id = suggest_id(change, qualname.rsplit(".", 1)[-1], stem, taken)
    return result
