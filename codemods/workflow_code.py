"""Which code in a module runs inside a Temporal workflow.

Read with the standard `ast` module: it is the cheap pass every command makes
(introduce, projection, status, check), and only names and call edges matter.

Workflow code is the `@workflow.defn` classes' run, signal and update handlers
and `__init__`, plus the methods and module-level functions they call,
transitively. Query handlers and update validators run read-only: what they
reach is recorded too, because a patch must never land there.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import threading
from dataclasses import dataclass, field

WORKFLOW_MODULE = "temporalio.workflow"

# Roles of a method in a workflow class, from its decorator.
ENTRY_ROLES = ("run", "signal", "update", "init")
READ_ONLY_ROLES = ("query", "validator")

_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_LOGGER_NAMES = {"logger", "log", "logging", "_logger", "LOGGER", "_log"}


@dataclass
class Bindings:
    """The names a module binds to `temporalio.workflow` and its members."""

    # Dotted names that stand for the module itself: "workflow", "wf",
    # "temporalio.workflow" (after `import temporalio.workflow`).
    module_names: list[str] = field(default_factory=list)
    # Local name -> member of temporalio.workflow: {"patched": "patched"}.
    members: dict[str, str] = field(default_factory=dict)

    def member(self, expr: ast.expr) -> str | None:
        """The temporalio.workflow member `expr` names, if any."""
        if isinstance(expr, ast.Call):
            expr = expr.func
        if isinstance(expr, ast.Name):
            return self.members.get(expr.id)
        if isinstance(expr, ast.Attribute):
            owner = dotted_name(expr.value)
            if owner is not None and owner in self.module_names:
                return expr.attr
        return None

    def name_for(self, member: str) -> str | None:
        """How this module spells `temporalio.workflow.<member>`, if it can."""
        for local, target in self.members.items():
            if target == member:
                return local
        if self.module_names:
            return f"{self.module_names[0]}.{member}"
        return None


_gc_lock = threading.Lock()
_gc_pausers = 0  # calls inside paused_gc() now, in any thread
_gc_was_enabled = False  # as the first of them found it


@contextlib.contextmanager
def paused_gc():
    """The cyclic garbage collector off for the block. Parsing a module
    builds millions of nodes, none in a cycle, and each full collection walks
    all of them again: on a module of thousands of classes, about 40% of an
    introduce or a check. Garbage is still freed by reference counting.

    The collector is the whole interpreter's: with calls in several threads,
    the last one out puts it back as the first one in found it (on or off),
    even after a refusal."""
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def dotted_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        owner = dotted_name(expr.value)
        return None if owner is None else f"{owner}.{expr.attr}"
    return None


def _module_level_statements(body: list[ast.stmt]):
    """Top-level statements, looking through `with`/`if`/`try` wrappers.

    Imports of activities commonly sit inside
    `with workflow.unsafe.imports_passed_through():`.
    """
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.With, ast.If)):
            yield from _module_level_statements(stmt.body)
            if isinstance(stmt, ast.If):
                yield from _module_level_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _module_level_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _module_level_statements(handler.body)
            yield from _module_level_statements(stmt.orelse)
            yield from _module_level_statements(stmt.finalbody)


def read_bindings(tree: ast.Module) -> Bindings:
    bindings = Bindings()
    for stmt in _module_level_statements(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == WORKFLOW_MODULE:
                    bindings.module_names.append(alias.asname or WORKFLOW_MODULE)
                elif alias.name == "temporalio" and alias.asname is None:
                    bindings.module_names.append(WORKFLOW_MODULE)
                elif alias.name == "temporalio" and alias.asname:
                    bindings.module_names.append(f"{alias.asname}.workflow")
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0:
            for alias in stmt.names:
                if stmt.module == "temporalio" and alias.name == "workflow":
                    bindings.module_names.append(alias.asname or "workflow")
                elif stmt.module == WORKFLOW_MODULE:
                    bindings.members[alias.asname or alias.name] = alias.name
    # Shortest spelling first: `workflow` before `temporalio.workflow`.
    bindings.module_names = sorted(dict.fromkeys(bindings.module_names), key=len)
    return bindings


def module_level_names(tree: ast.Module) -> dict[str, ast.stmt]:
    """Every name a module binds at its top level, with the binding statement."""
    names: dict[str, ast.stmt] = {}
    for stmt in _module_level_statements(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                local = alias.asname or alias.name.split(".")[0]
                names[local] = stmt
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[stmt.name] = stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        names[node.id] = stmt
    return names


def is_logging_call(expr: ast.expr) -> bool:
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        return False
    if expr.func.attr not in _LOG_METHODS:
        return False
    owner = expr.func.value
    if isinstance(owner, ast.Name):
        return owner.id in _LOGGER_NAMES
    return isinstance(owner, ast.Attribute) and owner.attr in _LOGGER_NAMES


def is_inert(stmt: ast.stmt) -> bool:
    """A statement that issues no command and changes no state: `pass`, a
    bare string (docstring), a logging call."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return True
        return is_logging_call(value)
    return False


def is_workflow_class(node: ast.ClassDef, bindings: Bindings) -> bool:
    return any(bindings.member(d) == "defn" for d in node.decorator_list)


def is_pinned(node: ast.ClassDef, bindings: Bindings) -> bool:
    """`@workflow.defn(versioning_behavior=...PINNED)`, however the enum is
    spelled (`VersioningBehavior.PINNED`, `temporalio.common.VersioningBehavior.PINNED`,
    an alias, a bare imported `PINNED`): with Worker Versioning, a pinned
    workflow's executions stay on the build that started them, so a change
    needs no patch."""
    for decorator in node.decorator_list:
        if not (isinstance(decorator, ast.Call) and bindings.member(decorator.func) == "defn"):
            continue
        for keyword in decorator.keywords:
            if keyword.arg != "versioning_behavior":
                continue
            value = keyword.value
            name = value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) else None
            if name == "PINNED":
                return True
    return False


def pinned_note(class_name: str) -> str:
    """What introduce and check say about a changed pinned workflow class."""
    return (f"{class_name} changed, and it is pinned (versioning_behavior=PINNED): its executions stay on "
            "the build that started them, so no patch is needed")


@dataclass
class WorkflowFunction:
    qualname: str  # "OrderWorkflow.run", or "helper" for a module-level function
    name: str
    class_name: str | None
    role: str  # run, signal, update, init, query, validator, helper, function
    node: ast.FunctionDef | ast.AsyncFunctionDef
    runs_in_workflow: bool = False
    read_only: bool = False  # reachable from a query handler or update validator
    # Workflow classes whose entry points reach this function.
    owners: list[str] = field(default_factory=list)


@dataclass
class WorkflowCode:
    bindings: Bindings
    classes: dict[str, ast.ClassDef]
    functions: dict[str, WorkflowFunction]

    def methods_of(self, class_name: str) -> dict[str, WorkflowFunction]:
        return {f.name: f for f in self.functions.values() if f.class_name == class_name}


def _is_activity(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted_name(target) or ""
        if name.endswith("activity.defn") or name == "activity_defn":
            return True
    return False


def _role(node: ast.FunctionDef | ast.AsyncFunctionDef, bindings: Bindings, updates: set[str]) -> str:
    for decorator in node.decorator_list:
        member = bindings.member(decorator)
        if member in ("run", "signal", "update", "query", "init"):
            return member
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "validator":
            if isinstance(target.value, ast.Name) and target.value.id in updates:
                return "validator"
    if node.name == "__init__":
        return "init"
    return "helper"


def fast_walk(node: ast.AST):
    """Every node under `node` (itself included), like `ast.walk` but in no
    particular order and about 1.7 times as fast: the walk every module's
    call graph costs, on every file `status` reads."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name in current._fields:
            value = getattr(current, name, None)
            if value.__class__ is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


def _callees(node: ast.AST, methods: set[str], functions: set[str], class_name: str | None) -> set[str]:
    """Qualified names of the methods and module functions `node` refers to.

    A reference counts as a call: `self.step` handed to `wait_condition` or a
    task runs in the workflow just the same.
    """
    found: set[str] = set()
    for child in fast_walk(node):
        if isinstance(child, ast.Attribute) and class_name is not None and child.attr in methods:
            if isinstance(child.value, ast.Name) and child.value.id in ("self", "cls", class_name):
                found.add(f"{class_name}.{child.attr}")
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in functions:
            # Only calls: a module function handed over by name is most often
            # an activity (`execute_activity(charge, ...)`), which runs elsewhere.
            found.add(child.func.id)
    return found


def find_workflow_code(tree: ast.Module) -> WorkflowCode:
    bindings = read_bindings(tree)
    classes: dict[str, ast.ClassDef] = {}
    functions: dict[str, WorkflowFunction] = {}
    module_functions = {
        stmt.name: stmt
        for stmt in tree.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_activity(stmt)
    }
    for name, node in module_functions.items():
        functions[name] = WorkflowFunction(name, name, None, "function", node)

    for stmt in tree.body:
        if not (isinstance(stmt, ast.ClassDef) and is_workflow_class(stmt, bindings)):
            continue
        classes[stmt.name] = stmt
        defs = [s for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        updates = {d.name for d in defs if any(bindings.member(x) == "update" for x in d.decorator_list)}
        for node in defs:
            qualname = f"{stmt.name}.{node.name}"
            functions[qualname] = WorkflowFunction(qualname, node.name, stmt.name, _role(node, bindings, updates), node)

    # Grouped once: a module of thousands of classes stays linear.
    by_class: dict[str, list[str]] = {}
    for qualname, fn in functions.items():
        if fn.class_name:
            by_class.setdefault(fn.class_name, []).append(qualname)
    module_names = set(module_functions)
    edges: dict[str, set[str]] = {}
    for qualname, fn in functions.items():
        methods = {functions[q].name for q in by_class[fn.class_name]} if fn.class_name else set()
        edges[qualname] = _callees(fn.node, methods, module_names, fn.class_name)

    def reach(roots: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(edges.get(current, ()))
        return seen

    for class_name in classes:
        members = [functions[q] for q in by_class.get(class_name, ())]
        entries = [f.qualname for f in members if f.role in ENTRY_ROLES]
        for qualname in reach(entries):
            functions[qualname].runs_in_workflow = True
            functions[qualname].owners.append(class_name)
        read_only = [f.qualname for f in members if f.role in READ_ONLY_ROLES]
        for qualname in reach(read_only):
            functions[qualname].read_only = True

    # Module functions no workflow reaches are ordinary code (activities...).
    for name in module_functions:
        fn = functions[name]
        if not fn.runs_in_workflow and not fn.read_only:
            del functions[name]
    return WorkflowCode(bindings, classes, functions)
