"""Which `@workflow.defn` classes a repository holds, under which module names
and workflow type names: what `verify` imports and what `ready` asks the
server about.

Read with `ast` only (nothing is imported here). A class's workflow type is
`@workflow.defn(name="X")`'s X, else the class name; `dynamic=True` has none.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from patchmod.codemods.workflow_code import Bindings, find_workflow_code, read_bindings

# The SDK's decorator is `workflow.defn`; a module that never says `defn`
# holds no workflow class and is not parsed.
PREFILTER = "defn"


@dataclass(frozen=True)
class WorkflowClass:
    path: str  # repository-relative, '/'-separated
    line: int
    class_name: str
    module: str  # the name it is imported under
    # The workflow type; None when dynamic or not a string literal.
    type_name: str | None
    dynamic: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.module}:{self.class_name}"


@dataclass
class WorkflowModule:
    path: str
    module: str
    sys_path: str  # the folder that must be on sys.path to import `module`
    classes: list[WorkflowClass] = field(default_factory=list)
    problem: str | None = None  # e.g. a syntax error: known only when imported


def static_type_name(node: ast.ClassDef, bindings: Bindings) -> tuple[str | None, bool]:
    """(workflow type, dynamic) from the class's `@workflow.defn` decorator."""
    for decorator in node.decorator_list:
        if bindings.member(decorator) != "defn":
            continue
        if not isinstance(decorator, ast.Call):
            return node.name, False
        for keyword in decorator.keywords:
            if keyword.arg == "dynamic" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                return None, True
        for keyword in decorator.keywords:
            if keyword.arg == "name":
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value, False
                return None, False
        return node.name, False
    return node.name, False


def module_name(root: Path, path: str) -> tuple[str, str]:
    """(module name, folder for sys.path) of a repository file, the way
    pytest's rootdir-less import works: the package is the run of folders with
    an `__init__.py` above the file; the folder above the top one goes on
    sys.path (`src/pkg/mod.py` with `src/pkg/__init__.py` is `pkg.mod` from
    `src`; `workflows/orders.py` without one is `orders` from `workflows`)."""
    file = root / path
    parts = [file.stem] if file.name != "__init__.py" else []
    folder = file.parent
    while (folder / "__init__.py").is_file() and folder != root.parent:
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:  # a top-level __init__.py: the folder is the package
        parts = [file.parent.name]
        folder = file.parent.parent
    return ".".join(parts), str(folder)


def read_module(root: Path, path: str, text: str) -> WorkflowModule:
    name, sys_path = module_name(root, path)
    module = WorkflowModule(path=path, module=name, sys_path=sys_path)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        module.problem = f"{path}:{line or 1}: syntax error: {getattr(exc, 'msg', exc)}"
        return module
    code = find_workflow_code(tree)
    bindings = read_bindings(tree)
    for class_name, node in code.classes.items():
        type_name, dynamic = static_type_name(node, bindings)
        module.classes.append(WorkflowClass(path, node.lineno, class_name, name, type_name, dynamic))
    return module


def tracked_python_files(root: Path, containing: str) -> list[str]:
    """Tracked .py files whose working-tree text contains `containing`
    (repository-relative, sorted), found with `git grep`."""
    import git

    repo = git.Repo(root)
    try:
        out = repo.git.grep("-l", "-I", "-F", "--full-name", "-e", containing, "--", "*.py")
    except git.GitCommandError as exc:
        if exc.status == 1:
            return []
        raise
    return sorted(p for p in out.splitlines() if p)


def find_workflow_modules(root: Path) -> list[WorkflowModule]:
    """Every tracked module of the repository at `root` that defines a
    `@workflow.defn` class (or says `defn` and does not parse)."""
    modules = []
    for path in tracked_python_files(root, PREFILTER):
        try:
            text = (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        module = read_module(root, path, text)
        if module.classes or module.problem:
            modules.append(module)
    _dedupe_module_names(root, modules)
    return modules


def _dedupe_module_names(root: Path, modules: list[WorkflowModule]) -> None:
    """Two files that would import under one name (`a/orders.py`,
    `b/orders.py`, no packages) are imported by their path from the
    repository root instead (`a.orders`, namespace packages)."""
    seen: dict[str, int] = {}
    for m in modules:
        seen[m.module] = seen.get(m.module, 0) + 1
    for m in modules:
        if seen[m.module] > 1:
            dotted = m.path[:-3].replace("/", ".")
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            m.module = dotted
            m.sys_path = str(root)
            m.classes = [
                WorkflowClass(c.path, c.line, c.class_name, dotted, c.type_name, c.dynamic) for c in m.classes
            ]


def module_file(search_path: list[str], module: str) -> str | None:
    """The source file `module` would be imported from, looking only at
    plain folders on `search_path` (no import happens)."""
    rel = module.replace(".", os.sep)
    for folder in search_path:
        for candidate in (os.path.join(folder, rel + ".py"), os.path.join(folder, rel, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None
