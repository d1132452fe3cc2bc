"""What deprecate and remove share: their result, the changelog lines they
add, and the tidying after a rewrite (imports nothing uses, empty blocks)."""

from __future__ import annotations

import ast
import datetime
import keyword
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.codemod.visitors._gather_unused_imports import MODULES_IGNORED_BY_DEFAULT
from libcst.helpers import get_absolute_module_from_package_for_import

from .changelog import add_history_line, history_entry
from .findings import Finding, Refusal, refuse
from .workflow_code import WorkflowCode, find_workflow_code

# Relative imports need a package to resolve against; any deep enough name
# works because only the same computation ever compares the results.
_PACKAGE = "_patchmod.a.b.c.d.e.f"


@dataclass(frozen=True)
class SiteChange:
    """One call a retiring stage rewrote."""

    patch_id: str
    line: int  # in the input text
    class_name: str | None
    function: str | None
    form: str  # if, if-not, elif, expression, statement, loop, call


@dataclass
class RetireResult:
    code: str
    sites: list[SiteChange] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.sites)


def owners_of(sites: list[SiteChange], code: WorkflowCode) -> dict[str, list[str]]:
    """Workflow class -> ids whose sites it holds or reaches, in site order."""
    touched: dict[str, list[str]] = {}
    for site in sorted(sites, key=lambda site: site.line):
        if site.class_name is not None:
            classes = [site.class_name] if site.class_name in code.classes else []
        else:
            fn = code.functions.get(site.function or "")
            classes = fn.owners if fn is not None else []
        for name in classes:
            ids = touched.setdefault(name, [])
            if site.patch_id not in ids:
                ids.append(site.patch_id)
    return touched


class _History(cst.CSTTransformer):
    def __init__(self, entries: dict[str, list[str]], module: cst.Module):
        self.entries = entries
        self.module = module

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def on_visit(self, node: cst.CSTNode) -> bool:
        # A class is a statement of its own: a line of small statements, an
        # expression or a decorator holds none.
        return not isinstance(node, _NO_BLOCKS) and super().on_visit(node)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        for entry in self.entries.get(original_node.name.value, ()):
            body = updated_node.body
            indent = body.indent if isinstance(body, cst.IndentedBlock) else None
            updated_node = add_history_line(
                updated_node,
                entry,
                indent=indent if indent is not None else self.module.default_indent,
                newline=self.module.default_newline,
            )
        return updated_node


def add_history(module: cst.Module, touched: dict[str, list[str]], stage: str, date: datetime.date) -> cst.Module:
    if not touched:
        return module
    entries = {
        name: [history_entry(date, stage, patch_id) for patch_id in ids] for name, ids in touched.items()
    }
    return module.visit(_History(entries, module))


# Nodes that hold no block of statements.
_NO_BLOCKS = (cst.SimpleStatementLine, cst.BaseExpression, cst.Decorator, cst.Parameters, cst.Annotation,
              cst.WithItem, cst.Arg)


class _FillEmpty(cst.CSTTransformer):
    """Blocks emptied by a removal get `pass`; a module-level `with` left
    empty (it held only the imports that went, as an
    `imports_passed_through()` block does) goes with its leading lines."""

    def __init__(self, untouched: set[int] | frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.untouched = untouched

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Blocks hold statements; a line of small statements, an expression
        # or a decorator holds none: left as they are, not rebuilt.
        return not isinstance(node, _NO_BLOCKS) and id(node) not in self.untouched and super().on_visit(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock):
        if updated_node.body:
            return updated_node
        return updated_node.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module):
        emptied = {
            index
            for index, stmt in enumerate(original_node.body)
            if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock) and not stmt.body.body
        }
        if not emptied:
            return updated_node
        return updated_node.with_changes(body=[s for i, s in enumerate(updated_node.body) if i not in emptied])


def fill_empty_blocks(module: cst.Module, untouched: set[int] | frozenset[int] = frozenset()) -> cst.Module:
    """`untouched`: ids of subtrees a rewrite kept as they were parsed (they
    hold no empty block), not walked."""
    return module.visit(_FillEmpty(untouched))


def _imports(module: cst.Module):
    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.Import | cst.ImportFrom] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Import(self, node: cst.Import) -> None:
            self.found.append(node)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            self.found.append(node)

    collector = Collect()
    module.visit(collector)
    return collector.found


def names_left_unused(tree: ast.Module, dropped: Counter[str]) -> set[str]:
    """Names the rewrite may have left unused: those whose every use in the
    input (`tree`) went with the dropped code. The cheap count spares
    RemoveImportsVisitor, whose scope analysis costs most of a rewrite, for
    the files where an import can actually go; it still decides."""
    uses: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            uses[node.id] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            uses[node.value] += 1  # a string annotation may name it
    return {name for name, count in dropped.items() if count and uses[name] <= count}


def remove_imports_of(module: cst.Module, names: set[str]) -> cst.Module:
    """Remove the module-level imports binding `names`, where nothing uses
    them any more (RemoveImportsVisitor checks the use)."""
    if not names:
        return module
    context = CodemodContext(full_package_name=_PACKAGE)
    scheduled = False
    imports = _imports(module)
    for node in imports:
        if isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                continue
            absolute = get_absolute_module_from_package_for_import(_PACKAGE, node)
            if absolute is None:
                continue
            for alias in node.names:
                local = alias.evaluated_alias or alias.evaluated_name
                if local in names:
                    RemoveImportsVisitor.remove_unused_import(
                        context, absolute, alias.evaluated_name, alias.evaluated_alias
                    )
                    scheduled = True
        else:
            for alias in node.names:
                local = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                if local in names:
                    RemoveImportsVisitor.remove_unused_import(context, alias.evaluated_name, None, alias.evaluated_alias)
                    scheduled = True
    if not scheduled:
        return module
    unused = _certainly_unused(module, context, imports)
    if unused is not None:
        return fill_empty_blocks(module.visit(_RemoveKnownUnused(context, unused)))
    return fill_empty_blocks(_RemoveImports(context).transform_module(module))


def _typing_strings(tree: ast.Module) -> list[str]:
    """Every string that could be read as code naming an import: in an
    annotation, in a `TypeVar(...)` call, and, when the module has an
    `__all__`, every string but docstrings. (A superset of what libcst's
    GatherNamesFromStringAnnotationsVisitor and GatherExportsVisitor read.)"""
    def strings(node: ast.AST) -> list[str]:
        return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]

    found: list[str] = []
    docstrings: set[int] = set()
    exports = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        if isinstance(node, ast.arg) and node.annotation is not None:
            found += strings(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            found += strings(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found += strings(node.annotation)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name.endswith("TypeVar"):
                found += strings(node)
        elif isinstance(node, ast.Name) and node.id == "__all__":
            exports = True
        elif type(node).__name__ in ("TypeAlias", "TypeVar", "ParamSpec", "TypeVarTuple"):  # 3.12 syntax
            found += strings(node)
    if exports:
        found += [n.value for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]
    return found


def _certainly_unused(module: cst.Module, context: CodemodContext,
                      imports: list[cst.Import | cst.ImportFrom]) -> dict | None:
    """What RemoveImportsVisitor's scope analysis would find about the
    imports scheduled for removal, read from the new code with `ast`, or
    None when that is not clear-cut.

    A scheduled name is certainly unused when the module binds it in one
    import only and nothing else spells it: no name (load, store, `del`),
    no `global`/`nonlocal`, no pattern capture, and no string that could be
    an annotation or an `__all__` entry (`_typing_strings`). Then the
    aliases binding the scheduled names are exactly the unused ones that
    matter (the visitor removes what is both scheduled and unused), and the
    metadata passes (scopes, qualified names, exports, string annotations:
    most of a rewrite's time) are not needed."""
    scheduled = RemoveImportsVisitor._get_imports_from_context(context)
    names = {alias or (obj if obj is not None else module_name.split(".")[0]) for module_name, obj, alias in scheduled}
    try:
        tree = ast.parse(module.code)
    except (SyntaxError, ValueError):
        return None
    bound: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.alias):
            local = node.asname or node.name.split(".")[0]
            if local in names:
                bound[local] += 1
            continue
        if isinstance(node, ast.Name):
            spelled = [node.id]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            spelled = node.names
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
            spelled = [node.name] if node.name else []
        elif isinstance(node, ast.MatchMapping):
            spelled = [node.rest] if node.rest else []
        else:
            continue
        if any(name in names for name in spelled):
            return None
    if any(count > 1 for count in bound.values()):
        return None
    words = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(names))) + r")(?!\w)")
    if any(words.search(text) for text in _typing_strings(tree)):
        return None
    unused: dict[cst.ImportAlias, cst.Import | cst.ImportFrom] = {}
    for node in imports:
        if isinstance(node, cst.ImportFrom) and (
            isinstance(node.names, cst.ImportStar)
            or node.module is None  # GatherUnusedImportsVisitor leaves these alone
            or (isinstance(node.module, cst.Name) and node.module.value in MODULES_IGNORED_BY_DEFAULT)
        ):
            continue
        for alias in node.names:
            if (alias.evaluated_alias or alias.evaluated_name.split(".")[0]) in names:
                unused[alias] = node
    return unused


class _RemoveImports(RemoveImportsVisitor):
    """RemoveImportsVisitor, but a removed import line leaves what stood above
    it (a comment heading the import block, blank lines) to the next line."""

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=_carry_leading_lines(original_node.body, updated_node.body))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated_node.with_changes(body=_carry_leading_lines(original_node.body, updated_node.body))


class _RemoveKnownUnused(cst.CSTTransformer):
    """What _RemoveImports does, told which aliases are unused
    (`_certainly_unused`): its own leave hooks, without the metadata and
    without the matcher machinery a RemoveImportsVisitor sets up for every
    instance. It does not descend into functions and classes: no import
    there is both scheduled and unused, so none changes."""

    leave_Import = RemoveImportsVisitor.leave_Import
    leave_ImportFrom = RemoveImportsVisitor.leave_ImportFrom
    _process_importfrom_aliases = RemoveImportsVisitor._process_importfrom_aliases

    def __init__(self, context: CodemodContext, unused: dict) -> None:
        super().__init__()
        self.context = context
        # As RemoveImportsVisitor.__init__ reads the scheduled imports.
        scheduled = RemoveImportsVisitor._get_imports_from_context(context)
        self.unused_module_imports = {module: alias for module, obj, alias in scheduled if obj is None}
        self.unused_obj_imports: dict[str, set[tuple[str, str | None]]] = {}
        for module, obj, alias in scheduled:
            if obj is not None:
                self.unused_obj_imports.setdefault(module, set()).add((obj, alias))
        self._unused_imports = dict(unused)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return _RemoveImports.leave_Module(self, original_node, updated_node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return _RemoveImports.leave_IndentedBlock(self, original_node, updated_node)


def _import_modules(stmt: cst.CSTNode) -> list[str] | None:
    """What an import line imports from, or None for any other statement."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and stmt.body):
        return None
    found = []
    for small in stmt.body:
        if isinstance(small, cst.ImportFrom):
            found.append("." * len(small.relative) + (cst.Module([]).code_for_node(small.module) if small.module else ""))
        elif isinstance(small, cst.Import):
            found.append(",".join(a.evaluated_name for a in small.names))
        else:
            return None
    return found


def _carry_leading_lines(original, updated):
    if len(updated) >= len(original):
        return updated
    result = list(updated)
    carried: list[cst.EmptyLine] = []
    j = 0
    for stmt in original:
        kept = j < len(result) and (
            _import_modules(stmt) is None
            or (
                _import_modules(result[j]) is not None
                and set(_import_modules(result[j]) or []) <= set(_import_modules(stmt) or [])
                and len(stmt.leading_lines) == len(result[j].leading_lines)
                and all(a.deep_equals(b) for a, b in zip(stmt.leading_lines, result[j].leading_lines))
            )
        )
        if kept:
            if carried:
                result[j] = result[j].with_changes(leading_lines=[*carried, *result[j].leading_lines])
                carried = []
            j += 1
        else:
            carried.extend(stmt.leading_lines)  # this import line went
    return result


def checked(code: str) -> ast.Module:
    """Re-parse a rewrite before anyone writes it."""
    try:
        return ast.parse(code)
    except SyntaxError as error:
        raise refuse(error.lineno or 1, f"internal error: the rewrite does not parse ({error.msg}); nothing written") from None


# --- large modules: rewrite only the part that can change --------------------------------

# Below this many characters a module is rewritten whole; above it, the
# top-level functions and classes that cannot change are cut out first.
FOCUS_MIN_CHARS = 100_000
_COLD = "__patchmod_cold_"
_LINE = re.compile(r".*?(?:\r\n|\r|\n)|.+\Z", re.DOTALL)


@dataclass
class _Focus:
    """A module with runs of untouchable top-level statements replaced by
    one placeholder line each (`__patchmod_cold_K__(names...)`, naming every
    name they use, so that no import they need looks unused)."""

    text: str
    runs: list[tuple[str, str]]  # (placeholder line, the original lines it stands for)
    shifts: list[tuple[int, int]]  # (placeholder's line in `text`, lines it stands for - 1)

    def line(self, focused: int) -> int:
        """The line in the original module of a line of `text`."""
        return focused + sum(extra for at, extra in self.shifts if at < focused)

    def restore(self, code: str) -> str | None:
        """`code` (a rewrite of `text`) with every run put back, or None when
        a placeholder is not there exactly once, in order."""
        out, pos = [], 0
        for placeholder, original in self.runs:
            i = code.find(placeholder, pos)
            if i < 0 or code.find(placeholder, i + len(placeholder)) >= 0:
                return None
            out += [code[pos:i], original]
            pos = i + len(placeholder)
        out.append(code[pos:])
        return "".join(out)


def _names_used(nodes: list[ast.stmt]) -> list[str]:
    names: dict[str, None] = {}
    for stmt in nodes:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                names[node.id] = None
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                names[node.value] = None  # a string annotation may name an import
    return [name for name in names if not keyword.iskeyword(name)]


def _focus(source: str, patch_ids: Sequence[str]) -> _Focus | None:
    """The focused module, or None when it would not help (or not be safe)."""
    if len(source) < FOCUS_MIN_CHARS or _COLD in source:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the rewrite reports it
    lines = _LINE.findall(source)
    code = find_workflow_code(tree)

    def span(stmt: ast.stmt) -> tuple[int, int]:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        return first, stmt.end_lineno or stmt.lineno

    def spells(stmt: ast.stmt) -> bool:
        first, last = span(stmt)
        text = "".join(lines[first - 1:last])
        return any(patch_id in text for patch_id in patch_ids)

    hot_functions = [s.name for s in tree.body
                     if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and spells(s)]
    keep: set[str] = set()
    for name in hot_functions:
        fn = code.functions.get(name)
        if fn is not None and fn.read_only:
            return None  # rare: not worth reasoning about
        if fn is not None:
            keep.update(fn.owners)  # their Versioning History takes the line
    cold = [isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and s.name not in keep and not spells(s) for s in tree.body]
    groups: list[list[ast.stmt]] = []
    for i, stmt in enumerate(tree.body):
        if cold[i]:
            if i and cold[i - 1]:
                groups[-1].append(stmt)
            else:
                groups.append([stmt])
    if not groups:
        return None
    out: list[str] = []
    runs: list[tuple[str, str]] = []
    shifts: list[tuple[int, int]] = []
    done = 0  # lines of `source` copied or replaced so far
    for k, group in enumerate(groups):
        first, last = span(group[0])[0], span(group[-1])[1]
        out.extend(lines[done:first - 1])
        original = "".join(lines[first - 1:last])
        ending = original[len(original.rstrip("\r\n")):]
        placeholder = f"{_COLD}{k}__({', '.join(_names_used(group))}){ending}"
        shifts.append((len(out) + 1, last - first))
        out.append(placeholder)
        runs.append((placeholder, original))
        done = last
    out.extend(lines[done:])
    focus = _Focus("".join(out), runs, shifts)
    # Cut where `ast` says the statements are, or not at all.
    if focus.restore(focus.text) != source:
        return None
    try:
        ast.parse(focus.text)
    except (SyntaxError, ValueError):
        return None
    return focus


def rewrite_focused(source: str, patch_ids: Sequence[str],
                    rewrite: Callable[[str], RetireResult]) -> RetireResult:
    """`rewrite(source)`, made cheaper on a large module: the top-level
    functions and classes that do not spell an id (nor own a function that
    does) are cut out before libcst parses the module and put back, byte
    for byte, after. Lines in the result and in a refusal count in
    `source`. Should a placeholder not come back exactly once, the whole
    module is rewritten instead."""
    focus = _focus(source, patch_ids)
    if focus is None:
        return rewrite(source)
    try:
        result = rewrite(focus.text)
    except Refusal as refusal:
        raise Refusal([replace(f, line=focus.line(f.line)) for f in refusal.findings]) from None
    code = focus.restore(result.code)
    if code is None:
        return rewrite(source)
    if result.sites:
        checked(code)
    return RetireResult(
        code=code,
        sites=[replace(site, line=focus.line(site.line)) for site in result.sites],
        classes=list(result.classes),
        warnings=[replace(w, line=focus.line(w.line)) for w in result.warnings],
    )
