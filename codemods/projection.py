"""What workflow code *does* in one world of patches: the "behaves as" oracle.

DESIGN.md's rule every rewrite keeps is stated in worlds: a world gives each
patch id a truth value, and two versions of a module behave alike in it when
their workflow functions are equal after

- folding every `patched("ID")` call to the world's constant (under whatever
  name the module binds: `workflow.patched`, `wf.patched`,
  `temporalio.workflow.patched`, a bare `patched` imported from
  `temporalio.workflow`), and simplifying `not`, `and`/`or` and conditional
  expressions over those constants;
- keeping only the taken branch of an `if`/`elif` chain whose test folded;
- dropping `deprecate_patch` calls, `pass`, bare strings (docstrings) and
  logging calls.

Pure `ast`, no I/O. `project` gives one normalized string per function that
runs in a workflow (run, signal and update handlers, `__init__`, and the
methods and module-level functions they reach *in that world*); query
handlers and update validators are left out, they issue no commands. Each
string is the `ast.dump` of the folded function (signature included) followed
by what the names it borrows from the module (and the attributes it reads
from its class body) are bound to, so an old branch
that calls an activity the edit stopped importing, or a method the edit
deleted, does not behave as the base.

Functions present on one side only: `behaves_as` compares the union of both
sides' names (or exactly `functions` when given) and reports a name missing
on one side as a difference; it never guesses. The policy for introduce
lives in `introduce_differences`: in the worlds where the new id is true the
result must match the edited module function for function; in the worlds
where it is false the result must match the base on the base's functions, so
that what the edit added (a new handler, a helper only the new branch calls)
is compared only where the new id is true.

For deprecate and remove the `deprecate_patch` statements count too, by
place (`markers=`): `mark_sites` puts a marker wherever a `patched(ID)` is
evaluated, and `deprecate_differences` / `remove_differences` check the
rewrite against it in every world of the other ids.
"""

from __future__ import annotations

import ast
import builtins
import copy
import difflib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .workflow_code import (
    READ_ONLY_ROLES,
    Bindings,
    find_workflow_code,
    is_inert,
    is_pinned,
    module_level_names,
    read_bindings,
)

__all__ = [
    "World",
    "WorldLike",
    "ProjectedFunction",
    "projected_functions",
    "patch_ids",
    "fold",
    "project",
    "behaves_as",
    "reachable_worlds",
    "pinned_functions",
    "introduce_differences",
    "MARKER",
    "marker_ids",
    "mark_sites",
    "NoExactPlace",
    "retire_worlds",
    "deprecate_differences",
    "remove_differences",
]

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class World:
    """A truth value for each patch id; `default` for ids it does not name."""

    truth: Mapping[str, bool] = field(default_factory=dict)
    default: bool = False

    def __call__(self, patch_id: str) -> bool:
        return bool(self.truth.get(patch_id, self.default))

    def describe(self) -> str:
        named = [f"{k}={'on' if v else 'off'}" for k, v in sorted(self.truth.items())]
        return "{" + ", ".join(named + [f"others={'on' if self.default else 'off'}"]) + "}"


# A plain mapping is a World whose unnamed ids are false.
WorldLike = World | Mapping[str, bool]


def _world(world: WorldLike) -> World:
    return world if isinstance(world, World) else World(dict(world))


def _patched_id(call: ast.expr, bindings: Bindings, member: str = "patched") -> str | None:
    """The literal id of `<member>("ID")` under the module's bindings."""
    if not (isinstance(call, ast.Call) and bindings.member(call.func) == member and call.args):
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def patch_ids(source: str | ast.Module) -> list[str]:
    """Ids of the `patched("ID")` sites in a module, in order of first appearance."""
    tree = ast.parse(source) if isinstance(source, str) else source
    bindings = read_bindings(tree)
    seen: dict[str, int] = {}
    for node in ast.walk(tree):
        patch_id = _patched_id(node, bindings) if isinstance(node, ast.Call) else None
        if patch_id is not None and patch_id not in seen:
            seen[patch_id] = (node.lineno, node.col_offset)  # type: ignore[assignment]
    return sorted(seen, key=lambda i: seen[i])


def _const(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant)


class _Folder(ast.NodeTransformer):
    """Folds patch calls to constants and drops what never behaves."""

    def __init__(self, bindings: Bindings, world: World, markers: frozenset[str] = frozenset()):
        self.bindings = bindings
        self.world = world
        # Ids whose `deprecate_patch` statements are kept, as `MARKER("ID")`.
        self.markers = markers

    # -- expressions ---------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> ast.expr:
        patch_id = _patched_id(node, self.bindings)
        if patch_id is not None:
            return ast.Constant(self.world(patch_id))
        return self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            node.operand = _truthy_context(node.operand)
            if _const(node.operand):
                return ast.Constant(not node.operand.value)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        is_and = isinstance(node.op, ast.And)
        values: list[ast.expr] = []
        for position, value in enumerate(node.values):
            last = position == len(node.values) - 1
            if _const(value) and not last:
                # `x and True and y` is `x and y`; `x and False and y` stops at False.
                if bool(value.value) == is_and:
                    continue
                values.append(value)
                break
            values.append(value)
        if len(values) == 1:
            return values[0]
        node.values = values
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        node.test = _truthy_context(node.test)
        if _const(node.test):
            return node.body if node.test.value else node.orelse
        return node

    # -- statements ----------------------------------------------------------

    def visit_If(self, node: ast.If):
        self.generic_visit(node)  # folds the test, and an `elif` chain inside out
        node.test = _truthy_context(node.test)
        if _const(node.test):
            return node.body if node.test.value else node.orelse
        return node

    def visit_While(self, node: ast.While):
        self.generic_visit(node)
        node.test = _truthy_context(node.test)
        if _const(node.test) and not node.test.value:
            return node.orelse
        return node

    def visit_Expr(self, node: ast.Expr):
        self.generic_visit(node)
        if is_inert(node):
            return None
        deprecated = _patched_id(node.value, self.bindings, "deprecate_patch")
        if deprecated is not None:
            return _marker(deprecated) if deprecated in self.markers else None
        if isinstance(node.value, ast.Constant):
            # What a folded bare `patched(...)` call leaves behind.
            return None
        return node

    def visit_Pass(self, node: ast.Pass):
        return None


def _truthy_context(test: ast.expr) -> ast.expr:
    """Where only truthiness counts (`if`, `while`, `not`, a conditional's
    test), a trailing constant that cannot change the outcome goes:
    `x and True` tests as `x`, `x or False` tests as `x`."""
    if isinstance(test, ast.BoolOp) and len(test.values) > 1:
        is_and = isinstance(test.op, ast.And)
        values = list(test.values)
        while len(values) > 1 and _const(values[-1]) and bool(values[-1].value) == is_and:
            values.pop()
        if len(values) == 1:
            return values[0]
        return ast.BoolOp(op=test.op, values=values)
    return test


def fold(source: str | ast.Module, world: WorldLike, *, markers: Iterable[str] = ()) -> ast.Module:
    """The module with `patched` folded in `world` and inert statements gone.

    `deprecate_patch("ID")` statements of the ids in `markers` are kept,
    spelled `MARKER("ID")` whatever the module's binding; the others go."""
    tree = ast.parse(source) if isinstance(source, str) else copy.deepcopy(source)
    bindings = read_bindings(tree)
    folded = _Folder(bindings, _world(world), frozenset(markers)).visit(tree)
    return ast.fix_missing_locations(folded)


# -- names a function borrows from its module ----------------------------------


def _local_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
            names.add(child.name)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
            names.add(child.name)
    return names


def _describe_binding(name: str, stmt: ast.stmt | None) -> str:
    if stmt is None:
        return f"{name}: unbound"
    if isinstance(stmt, ast.ImportFrom):
        for alias in stmt.names:
            if (alias.asname or alias.name) == name:
                return f"{name}: from {'.' * stmt.level}{stmt.module or ''} import {alias.name}"
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                return f"{name}: import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"{name}: function defined in the module"
    if isinstance(stmt, ast.ClassDef):
        return f"{name}: class defined in the module"
    # A module-level assignment: its value is part of the behaviour.
    return f"{name}: {ast.unparse(stmt)}"


def _borrowed(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    module_names: dict[str, ast.stmt],
    cls: ast.ClassDef | None,
) -> list[str]:
    """What each free name of `node` is bound to in its module, what the
    class attributes it reads (`self.X`, `cls.X`, `Class.X`) are set to in
    the class body, and the `self.method(...)` calls that find no method."""
    local = _local_names(node)
    class_members = _class_members(cls) if cls is not None else None
    class_values = _class_assignments(cls) if cls is not None else {}
    owners = {"self", "cls"} | ({cls.name} if cls is not None else set())
    lines: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            if child.id in local or (child.id in _BUILTINS and child.id not in module_names):
                continue
            lines.add(_describe_binding(child.id, module_names.get(child.id)))
        elif (
            isinstance(child, ast.Attribute)
            and isinstance(child.ctx, ast.Load)
            and isinstance(child.value, ast.Name)
            and child.value.id in owners
            and child.attr in class_values
        ):
            lines.add(f"{child.value.id}.{child.attr}: {ast.unparse(class_values[child.attr])}")
        elif (
            class_members is not None
            and isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and isinstance(child.func.value, ast.Name)
            and child.func.value.id == "self"
            and child.func.attr not in class_members
        ):
            lines.add(f"self.{child.func.attr}: no such method on the class")
    return sorted(lines)


def _class_assignments(cls: ast.ClassDef) -> dict[str, ast.stmt]:
    """Attributes the class body itself assigns (`RETRIES = 3`)."""
    values: dict[str, ast.stmt] = {}
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    values[target.id] = stmt
    return values


def _class_members(cls: ast.ClassDef) -> set[str]:
    """Names a class defines, plus attributes its methods assign on `self`."""
    members: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            members.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            members.update(t.id for t in targets if isinstance(t, ast.Name))
    for child in ast.walk(cls):
        if (
            isinstance(child, ast.Attribute)
            and isinstance(child.ctx, ast.Store)
            and isinstance(child.value, ast.Name)
            and child.value.id == "self"
        ):
            members.add(child.attr)
    return members


# -- projection ------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectedFunction:
    """One function that runs in a workflow, folded in one world.

    `node` is the folded function: its statements keep the line numbers of
    the text it came from, so a caller can point at a difference.
    `borrowed` says what the names it takes from the module are bound to.
    """

    qualname: str
    class_name: str | None
    role: str
    owners: tuple[str, ...]
    node: ast.FunctionDef | ast.AsyncFunctionDef
    borrowed: tuple[str, ...]

    @property
    def normalized(self) -> str:
        return "\n".join([ast.dump(self.node), *self.borrowed])

    @property
    def readable(self) -> list[str]:
        return ast.unparse(self.node).splitlines() + [f"# uses {line}" for line in self.borrowed]


def projected_functions(
    source: str | ast.Module, world: WorldLike, *, markers: Iterable[str] = ()
) -> dict[str, ProjectedFunction]:
    """Every function that runs in a workflow in `world` (query handlers and
    update validators excluded; reachability computed after folding).
    `markers`: as for `fold`."""
    tree = fold(source, world, markers=markers)
    code = find_workflow_code(tree)
    names = module_level_names(tree)
    projected: dict[str, ProjectedFunction] = {}
    for qualname, fn in code.functions.items():
        if not fn.runs_in_workflow or fn.role in READ_ONLY_ROLES:
            continue
        cls = code.classes.get(fn.class_name) if fn.class_name else None
        borrowed = tuple(_borrowed(fn.node, names, cls))
        projected[qualname] = ProjectedFunction(
            qualname, fn.class_name, fn.role, tuple(fn.owners), fn.node, borrowed
        )
    return projected


def _projection(
    source: str | ast.Module, world: WorldLike, markers: Iterable[str] = ()
) -> dict[str, tuple[str, list[str]]]:
    """Per function: the normalized form and the same as readable lines."""
    return {
        name: (fn.normalized, fn.readable)
        for name, fn in projected_functions(source, world, markers=markers).items()
    }


def project(source: str | ast.Module, world: WorldLike) -> dict[str, str]:
    """`{"OrderWorkflow.run": "<normalized>", "helper": ...}` for each function
    that runs in a workflow in `world` (query handlers and update validators
    excluded; reachability is computed after folding). Two functions behave
    alike exactly when their strings are equal."""
    return {name: normalized for name, (normalized, _) in _projection(source, world).items()}


def behaves_as(
    a_src: str | ast.Module,
    a_world: WorldLike,
    b_src: str | ast.Module,
    b_world: WorldLike,
    *,
    functions: Iterable[str] | None = None,
    markers: Iterable[str] = (),
) -> list[str]:
    """Differences between `a` in `a_world` and `b` in `b_world`; empty when
    they behave alike. Compares `functions` when given, else every function
    either side runs; a function on one side only is a difference.
    `markers`: ids whose `deprecate_patch` statements count, by place."""
    markers = frozenset(markers)
    a = _projection(a_src, a_world, markers)
    b = _projection(b_src, b_world, markers)
    names = sorted(set(functions) if functions is not None else set(a) | set(b))
    differences: list[str] = []
    for name in names:
        if name not in a and name not in b:
            differences.append(f"{name}: runs on neither side")
        elif name not in b:
            differences.append(f"{name}: runs only on the first side")
        elif name not in a:
            differences.append(f"{name}: runs only on the second side")
        elif a[name][0] != b[name][0]:
            diff = difflib.unified_diff(a[name][1], b[name][1], "first", "second", lineterm="")
            differences.append(f"{name} differs:\n" + "\n".join(diff))
    return differences


def reachable_worlds(existing_ids: Iterable[str], new_id: str) -> list[dict[str, bool]]:
    """The worlds introduce must keep: every assignment of the existing ids
    with the new id false (an introduce preserves their structure, so each
    combination counts), and the one world where the new id is true, in
    which every older id is true too (a newer patch seen implies every older
    one). 2**n + 1 worlds for n existing ids."""
    existing = list(dict.fromkeys(i for i in existing_ids if i != new_id))
    worlds = [
        {**dict(zip(existing, values)), new_id: False}
        for values in itertools.product((False, True), repeat=len(existing))
    ]
    worlds.append({**{i: True for i in existing}, new_id: True})
    return worlds


def pinned_functions(source: str | ast.Module) -> set[str]:
    """Qualified names of the workflow functions that only pinned classes
    (`@workflow.defn(versioning_behavior=...PINNED)`) run: Worker Versioning
    keeps those executions on the build that started them, so old
    behaviour need not be kept there."""
    tree = ast.parse(source) if isinstance(source, str) else source
    code = find_workflow_code(tree)
    pinned = {name for name, cls in code.classes.items() if is_pinned(cls, code.bindings)}
    return {q for q, fn in code.functions.items() if fn.owners and set(fn.owners) <= pinned}


def introduce_differences(base: str, edited: str, result: str, patch_id: str) -> list[str]:
    """DESIGN.md's rule for introduce, checked in every reachable world: the
    result with `patch_id` true behaves as `edited`, with it false as `base`.

    With the new id false only the base's functions are compared: what the
    edit added (a new handler, a helper only the new branch reaches) has no
    old behaviour to keep; nor has code only pinned workflows run.
    """
    existing = list(dict.fromkeys(patch_ids(base) + patch_ids(edited) + patch_ids(result)))
    pinned = pinned_functions(base)
    differences: list[str] = []
    for truth in reachable_worlds(existing, patch_id):
        world = World(truth)
        if truth[patch_id]:
            found = behaves_as(result, world, edited, world)
            side = "edited"
        else:
            found = behaves_as(result, world, base, world,
                               functions=[f for f in project(base, world) if f not in pinned])
            side = "base"
        differences += [f"in {world.describe()} vs {side}: {d}" for d in found]
    return differences


# -- deprecate and remove --------------------------------------------------------
#
# Where a `deprecate_patch` stands matters (TEMPORAL.md): the marker was
# recorded where the first *executed* `patched(ID)` stood, and moving it across
# a command breaks replay. So the retiring stages are compared with their
# markers kept, by place: before a deprecate, a marker is put wherever a
# `patched(ID)` is evaluated; after it, the `deprecate_patch(ID)` statements
# must stand exactly there.

MARKER = "__patch_marker__"


def _marker(patch_id: str) -> ast.Expr:
    call = ast.Call(func=ast.Name(MARKER, ast.Load()), args=[ast.Constant(patch_id)], keywords=[])
    return ast.Expr(call)


def marker_ids(source: str | ast.Module) -> list[str]:
    """Ids of the `deprecate_patch("ID")` calls in a module, in order of first appearance."""
    tree = ast.parse(source) if isinstance(source, str) else source
    bindings = read_bindings(tree)
    found: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            patch_id = _patched_id(node, bindings, "deprecate_patch")
            if patch_id is not None and patch_id not in found:
                found[patch_id] = (node.lineno, node.col_offset)
    return sorted(found, key=lambda i: found[i])


class NoExactPlace(ValueError):
    """A `patched(ID)` whose evaluation no statement boundary matches: the
    oracle has no place to put its marker (a deprecate must refuse it)."""

    def __init__(self, line: int, why: str):
        self.line = line
        super().__init__(f"line {line}: {why}")


_BLOCK_FIELDS = ("body", "orelse", "finalbody")
_DEFERRED = (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)


class _SiteMarker:
    """Puts `MARKER("ID")` statements where each `patched(ID)` of `ids` is
    evaluated: before the statement whose own expressions hold it, or first
    in the block of an `if`/`while` whose test is `y and patched(ID)` (the
    call only runs, and the block only runs, when `y` holds)."""

    def __init__(self, bindings: Bindings, ids: frozenset[str]):
        self.bindings = bindings
        self.ids = ids

    def block(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        result: list[ast.stmt] = []
        for stmt in statements:
            before, first_in_body = self._sites(stmt)
            result += [_marker(i) for i in dict.fromkeys(before)]
            for name in _BLOCK_FIELDS:
                inner = getattr(stmt, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(stmt, name, self.block(inner))
            for handler in getattr(stmt, "handlers", []) or []:
                handler.body = self.block(handler.body)
            for case in getattr(stmt, "cases", []) or []:
                case.body = self.block(case.body)
            if first_in_body:
                stmt.body = [_marker(i) for i in dict.fromkeys(first_in_body)] + stmt.body
            result.append(stmt)
        return result

    def _own_expressions(self, stmt: ast.stmt) -> list[ast.AST]:
        parts: list[ast.AST] = []
        for name, value in ast.iter_fields(stmt):
            if name in _BLOCK_FIELDS or name in ("handlers", "cases"):
                continue
            if isinstance(value, list):
                parts += [v for v in value if isinstance(v, ast.AST)]
            elif isinstance(value, ast.AST):
                parts.append(value)
        return parts

    def _site_id(self, node: ast.AST) -> str | None:
        if not isinstance(node, ast.Call):
            return None
        patch_id = _patched_id(node, self.bindings)
        return patch_id if patch_id in self.ids else None

    def _sites(self, stmt: ast.stmt) -> tuple[list[str], list[str]]:
        before: list[str] = []
        first_in_body: list[str] = []
        test = getattr(stmt, "test", None) if isinstance(stmt, (ast.If, ast.While)) else None
        if (
            isinstance(test, ast.BoolOp)
            and isinstance(test.op, ast.And)
            and self._site_id(test.values[-1]) is not None
        ):
            # `if y and patched(ID):` runs the call exactly when `y` holds,
            # and then (the patch taken) the block: the marker opens the block.
            first_in_body.append(self._site_id(test.values[-1]))  # type: ignore[arg-type]
            for value in test.values[:-1]:
                self._walk(value, False, before)
            for part in self._own_expressions(stmt):
                if part is not test:
                    self._walk(part, False, before)
            return before, first_in_body
        for part in self._own_expressions(stmt):
            self._walk(part, False, before)
        return before, first_in_body

    def _walk(self, node: ast.AST, conditional: bool, found: list[str]) -> None:
        if isinstance(node, (ast.stmt, ast.excepthandler, ast.match_case)):
            return  # statements of a nested def or class are placed on their own
        patch_id = self._site_id(node)
        if patch_id is not None:
            if conditional:
                raise NoExactPlace(node.lineno, f"patched({patch_id!r}) is evaluated only sometimes here")
            found.append(patch_id)
        if isinstance(node, _DEFERRED):
            if any(self._site_id(n) is not None for n in ast.walk(node)):
                raise NoExactPlace(node.lineno, "a patched() site in code that runs later (lambda, comprehension)")
            return
        if isinstance(node, ast.BoolOp):
            self._walk(node.values[0], conditional, found)
            for value in node.values[1:]:
                self._walk(value, True, found)
            return
        if isinstance(node, ast.IfExp):
            self._walk(node.test, conditional, found)
            self._walk(node.body, True, found)
            self._walk(node.orelse, True, found)
            return
        for child in ast.iter_child_nodes(node):
            self._walk(child, conditional, found)


def mark_sites(source: str | ast.Module, patch_ids: Iterable[str]) -> ast.Module:
    """The module with `MARKER("ID")` wherever a `patched("ID")` of
    `patch_ids` is evaluated (the calls themselves stay). Raises NoExactPlace
    for a call that no statement boundary matches."""
    tree = ast.parse(source) if isinstance(source, str) else copy.deepcopy(source)
    marker = _SiteMarker(read_bindings(tree), frozenset(patch_ids))
    # Function and class bodies are reached through their statements' `body`.
    tree.body = marker.block(tree.body)
    return ast.fix_missing_locations(tree)


def retire_worlds(kept_ids: Iterable[str], retired_ids: Iterable[str] = ()) -> list[dict[str, bool]]:
    """Every assignment of `kept_ids` (the rewrite keeps their structure, so
    each combination counts), with each of `retired_ids` true."""
    retired = list(dict.fromkeys(retired_ids))
    kept = [i for i in dict.fromkeys(kept_ids) if i not in retired]
    return [
        {**dict(zip(kept, values)), **{i: True for i in retired}}
        for values in itertools.product((False, True), repeat=len(kept))
    ]


def deprecate_differences(before: str, result: str, patch_ids_: Iterable[str]) -> list[str]:
    """DESIGN.md's rule for deprecate: in every world of the other ids, the
    result behaves as `before` with the deprecated ids true, and its
    `deprecate_patch` statements (of any id) stand exactly where `before`
    evaluated `patched(ID)` (or already had them)."""
    retired = list(dict.fromkeys(patch_ids_))
    try:
        marked = mark_sites(before, retired)
    except NoExactPlace as error:
        return [f"no exact place for a deprecate_patch: {error}"]
    others = [i for i in dict.fromkeys(patch_ids(before) + patch_ids(result)) if i not in retired]
    markers = set(retired) | set(marker_ids(before)) | set(marker_ids(result))
    differences: list[str] = []
    for truth in retire_worlds(others, retired):
        world = World(truth)
        found = behaves_as(result, world, marked, world, markers=markers)
        differences += [f"in {world.describe()}: {d}" for d in found]
    return differences


def remove_differences(before: str, result: str, patch_ids_: Iterable[str]) -> list[str]:
    """DESIGN.md's rule for remove: in every world of the ids still patched,
    the result behaves as `before`; the `deprecate_patch` statements of the
    other ids keep their places."""
    removed = set(patch_ids_)
    ids = list(dict.fromkeys(patch_ids(before) + patch_ids(result)))
    markers = (set(marker_ids(before)) | set(marker_ids(result))) - removed
    differences: list[str] = []
    for truth in retire_worlds(ids):
        world = World(truth)
        found = behaves_as(result, world, before, world, markers=markers)
        differences += [f"in {world.describe()}: {d}" for d in found]
    return differences
