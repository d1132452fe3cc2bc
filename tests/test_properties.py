"""Property tests: the three codemods on generated workflow modules and edits.

The modules and edits come from `strategies.py` (its docstring lists what
they hold). A refusal is an allowed outcome, counted per property (see
`test_refusals_stay_rare`; `make fuzz` prints the counts). When a codemod
rewrites, these hold:

introduce (base, edited -> result)
- the result parses, and a CRLF file stays CRLF;
- `projection.introduce_differences` is empty: in every reachable world the
  result with the new id true behaves as edited, false as base (checked for
  "nothing to do" too, where the result is edited itself);
- no byte outside the regions changed: each `if patched(NEW)` region turned
  back into what the edit wrote (the new branch's statements with the `if`'s
  leading lines; nothing for `if not patched(NEW)`; for a chain, `if
  patched(OLD):` with the new branch) gives edited's text exactly, class
  docstrings (the changelog) and module imports (a name brought back)
  aside; every comment is edited's, in order;
- each old branch is base's text (its lines, indentation aside, are a run
  of base's lines), and each region's branches behave differently (no
  region for a change that needs no patch);
- a region is marked and warned of as in a loop exactly when it is in one;
- once committed, introduce of (result, result) finds nothing to do and
  changes no byte.

deprecate (source, ID -> result)
- it refuses exactly what testdata/deprecate/README.md refuses among the
  generated sites (`y or patched(ID)`);
- the result parses, stays CRLF, holds no `patched(ID)`, and behaves as the
  source with ID true in every world of the other ids;
- each function equals an `ast` re-statement of the contract: the marker
  just before the statement that evaluates the site (first in the block for
  `y and patched(ID)`), the taken code after it;
- outside the statements holding a site, class docstrings and imports no
  byte changed; the comments are the source's, in order, less those of the
  dropped branches (and of the rewritten `if` line);
- a second deprecate finds nothing to do.

remove (source, ID -> result)
- the result parses, stays CRLF, holds no `deprecate_patch(ID)`, behaves as
  the source in every world, and equals the source less those statements;
- outside the calls' own lines, class docstrings and imports no byte
  changed (an emptied block gets `pass`); every comment stays, in order;
- a second remove finds nothing to do; after introduce, deprecate and
  remove of one id, the code behaves as the edit in the one world left.

Profiles: `ci` (the default: fixed seed, 500 examples, part of `make test`)
and `fuzz` (`HYPOTHESIS_PROFILE=fuzz`, `make fuzz`: random seed,
FUZZ_EXAMPLES examples, larger modules too).
"""

from __future__ import annotations

import ast
import collections
import copy
import datetime
import difflib
import itertools
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import strategies as S  # noqa: E402
from patchmod.codemods.deprecate import deprecate_patches  # noqa: E402
from patchmod.codemods.findings import Refusal  # noqa: E402
from patchmod.codemods.introduce import introduce_patch  # noqa: E402
from patchmod.codemods.projection import World, behaves_as, introduce_differences, patch_ids  # noqa: E402
from patchmod.codemods.remove import remove_patches  # noqa: E402
from patchmod.codemods.workflow_code import is_logging_call  # noqa: E402

DATE = datetime.date(2026, 11, 21)
NEW_ID = S.NEW_ID

_COMMON = dict(
    # PROPERTIES_NO_SHRINK=1: report a failing example as found (shrinking
    # one can take minutes: every example runs a codemod or two).
    phases=[Phase.explicit, Phase.generate] if os.environ.get("PROPERTIES_NO_SHRINK") else list(Phase),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
# `ci`: max_examples is the total over the properties below (see WEIGHTS).
settings.register_profile("ci", max_examples=500, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")), derandomize=False, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# The long runs mix in larger modules (more methods, longer blocks).
LARGE = False if PROFILE == "ci" else None

# Share of the profile's examples each property gets. An example costs about
# 70 ms for introduce (its properties run introduce twice and the oracle in
# up to 9 worlds), 110 ms for deprecate and 75 ms for remove.
WEIGHTS = {
    "ci": {"introduce": 0.6, "deprecate": 0.2, "remove": 0.2},
    "fuzz": {"introduce": 0.45, "deprecate": 0.3, "remove": 0.25},
}


def examples(name: str) -> settings:
    share = WEIGHTS.get(PROFILE, WEIGHTS["fuzz"])[name]
    return settings(max_examples=max(1, round(settings.default.max_examples * share)))


# Outcome counts per property: rewritten, nothing, refused (by reason).
OUTCOMES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
SYMPTOMS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def record(prop: str, outcome: str) -> None:
    OUTCOMES[prop][outcome] += 1
    event(f"{prop}: {outcome}")


# Open bugs the properties found, each pinned by an xfail(strict=True)
# regression test at the bottom. While one is open, the property tolerates
# exactly that symptom and counts it, so the rest of the example is still
# checked. (Fixed ones keep their regression test, without the xfail.)
KNOWN_BUGS: dict[str, str] = {}  # none open


def known_bug(prop: str, name: str) -> None:
    """Count an open bug's symptom (not an outcome of its own: a rewrite
    showing it still counts as rewritten, a crash as a refusal would)."""
    assert name in KNOWN_BUGS
    SYMPTOMS[prop][name] += 1
    event(f"{prop}: known bug {name}")


def _reason(refusal: Refusal) -> str:
    """A refusal's kind, without lines and names."""
    message = refusal.findings[0].message if refusal.findings else str(refusal)
    for key, label in [
        ("is false changed", "edit in code an old patch runs when false"),
        ("which the edit removed", "old branch needs a removed name"),
        ("query handler", "region reachable from a query"),
        ("one-line body", "one-line body"),
        ("def line", "def line changed"),
        ("only calls in statements", "site not in a statement, said deprecate"),
        ("cannot deprecate", "site cannot move"),
        ("evaluated only sometimes", "site evaluated only sometimes"),
        ("internal error", "INTERNAL ERROR"),
    ]:
        if key in message:
            return label
    return message[:60]


# --- helpers on source text ---------------------------------------------------------


def _diff(a: str, b: str, names=("before", "after")) -> str:
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), *names))


@dataclass
class Span:
    """Lines [start, end) of a text that a codemod may rewrite (start == end:
    a place where it may insert); comments on `drop` lines may go."""

    start: int
    end: int
    what: str
    drop: frozenset[int] = frozenset()


def _comment(line: str) -> str:
    """The comment a line of generated code carries ('' for none; generated
    code has no `#` inside strings)."""
    return line[line.index("#") :].strip() if "#" in line else ""


def comments(text: str, skip: frozenset[int] = frozenset()) -> list[str]:
    """The comments of a text in order (generated comments are unique),
    leaving out those on the `skip` lines (0-based)."""
    return [c for i, c in enumerate(map(_comment, text.splitlines())) if c and i not in skip]


def docstring_and_import_spans(source: str) -> list[Span]:
    """Class docstrings (or, for a class without one, the place after its
    `class` line), and module-level imports (with the `with` block around
    them), each with the blank lines after it."""
    tree = ast.parse(source)
    text = source.splitlines()
    spans: list[Span] = []

    def blanks_after(end: int) -> int:
        while end < len(text) and not text[end].strip():
            end += 1
        return end

    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            spans.append(Span(first.lineno - 1, blanks_after(first.end_lineno), "docstring"))
        else:
            # After the `class` line: before the first member's blank,
            # comment and decorator lines.
            at = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))]) - 1
            while at > node.lineno and (not text[at - 1].strip() or text[at - 1].lstrip().startswith("#")):
                at -= 1
            spans.append(Span(at, at, "docstring"))
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (
            isinstance(stmt, ast.With) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body)
        ):
            spans.append(Span(stmt.lineno - 1, blanks_after(stmt.end_lineno), "import"))
    return spans


def _in_order(segments: list[list[str]], lines: list[str]) -> bool:
    """`lines` is segments[0] + anything + segments[1] + ... + anything +
    segments[-1]. Taking each middle segment at its first place is enough:
    an earlier place never leaves less room for the rest."""
    if len(segments) == 1:
        return lines == segments[0]
    first, *middle, last = segments
    if lines[: len(first)] != first:
        return False
    at = len(first)
    for segment in middle:
        n = len(segment)
        found = next((i for i in range(at, len(lines) - n + 1) if lines[i : i + n] == segment), None)
        if found is None:
            return False
        at = found + n
    return len(lines) - len(last) >= at and lines[len(lines) - len(last) :] == last


def match_outside(before: str, after: str, spans: list[Span]) -> list[str]:
    """Problems with `after` as `before` rewritten only inside `spans`: the
    text outside them must be there byte for byte, in the same order, and
    the comments must be `before`'s in order, less those on `drop` lines.
    Empty when all is well."""
    lines = before.splitlines()
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), f"{last.what}+{span.what}", last.drop | span.drop)
        else:
            merged.append(span)
    segments, at = [], 0  # the text outside the spans, in pieces
    for span in merged:
        segments.append(lines[at : span.start])
        at = span.end
    segments.append(lines[at:])
    problems = []
    if not _in_order(segments, after.splitlines()):
        where = ", ".join(f"{s.what} {s.start + 1}-{s.end}" for s in merged)
        problems.append(f"the text outside the rewritable spans ({where}) changed:\n" + _diff(before, after))
    dropped = frozenset().union(*(s.drop for s in merged))
    kept, had, got = comments(before, dropped), comments(before), comments(after)
    if not (_subsequence(kept, got) and _subsequence(got, had)):
        problems.append(
            "the comments changed (all but those on dropped lines must stay, in order, and none may appear):\n"
            + "".join(difflib.unified_diff([c + "\n" for c in kept], [c + "\n" for c in got], "kept", "got"))
        )
    return problems


def _subsequence(small: list[str], big: list[str]) -> bool:
    rest = iter(big)
    return all(any(x == y for y in rest) for x in small)


def _is_call_of(node: cst.BaseExpression, member: str, patch_id: str) -> bool:
    if not (isinstance(node, cst.Call) and node.args):
        return False
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    arg = node.args[0].value
    return name == member and isinstance(arg, cst.SimpleString) and arg.evaluated_value == patch_id


class _UndoIntroduce(cst.CSTTransformer):
    """Each `if patched(NEW)` region back to what the edit wrote: the new
    branch's statements (with the `if`'s leading lines), nothing for an
    `if not patched(NEW)`, and for a chain the `if patched(OLD)` with the new
    branch. Collects (kind, new statements, old statements) per region, and
    the old branches that must be base's text."""

    def __init__(self, patch_id: str):
        self.patch_id = patch_id
        self.pairs: list[tuple[str, list[cst.CSTNode], list[cst.CSTNode]]] = []  # (kind, new, old)
        self.old_branches: list[list[cst.CSTNode]] = []

    def leave_If(self, original_node: cst.If, updated_node: cst.If):
        test = updated_node.test
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        if negated:
            test = test.expression
        if not _is_call_of(test, "patched", self.patch_id):
            return updated_node
        new = _statements(updated_node.body)
        if negated:
            self.pairs.append(("remove", [], new))
            self.old_branches.append(new)
            return cst.RemoveFromParent()
        orelse = updated_node.orelse
        if isinstance(orelse, cst.If):  # a chain
            self.pairs.append(("chain", new, _statements(orelse.body)))
            # base's true branch; the branches below it behave as base's
            # and are written as the edit left them (comments kept).
            self.old_branches.append(_statements(orelse.body))
            body = updated_node.body
            if (
                isinstance(body, cst.IndentedBlock)
                and isinstance(orelse.body, cst.IndentedBlock)
                and body.header.comment is None
            ):
                # The comment of the `if patched(OLD):` line may stay on the
                # `elif` (where OLD still is) rather than move up.
                body = body.with_changes(header=orelse.body.header)
            return orelse.with_changes(body=body, leading_lines=updated_node.leading_lines)
        old = _statements(orelse.body) if isinstance(orelse, cst.Else) else []
        self.pairs.append(("replace" if old else "add", new, old))
        if old:
            self.old_branches.append(old)
        new[0] = new[0].with_changes(leading_lines=[*updated_node.leading_lines, *new[0].leading_lines])
        return cst.FlattenSentinel(new)


def _statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """A block's statements; a one-line body (`if x: a(); b()`) as one line."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    return [cst.SimpleStatementLine(body=suite.body)]


class _Inert(ast.NodeTransformer):
    """Drops what never behaves: `pass`, bare strings, logging calls."""

    def visit_Pass(self, node):
        return None

    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None
        return None if is_logging_call(node.value) else node


def _behaviour(module: cst.Module, statements: list[cst.CSTNode]) -> str:
    """What statements do, comments, formatting and inert statements aside."""
    code = "".join(module.code_for_node(s.with_changes(leading_lines=())) for s in statements)
    tree = ast.parse(textwrap.dedent(code)) if code.strip() else ast.Module([], [])
    return ast.dump(_Inert().visit(tree))


def _code_lines(module: cst.Module, nodes: list[cst.CSTNode]) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        lines += module.code_for_node(node).splitlines()
    return lines


def _contiguous_in(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _stripped(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


# --- a reference deprecate and remove on `ast` (what "in place" means) -------------------


def _member(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _is_site(node: ast.AST, member: str, patch_id: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and _member(node.func) == member
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == patch_id
    )


class _FoldTrue(ast.NodeTransformer):
    """`patched(ID)` to True, and what that decides."""

    def __init__(self, patch_id: str):
        self.patch_id = patch_id

    def visit_Call(self, node: ast.Call):
        if _is_site(node, "patched", self.patch_id):
            return ast.Constant(True)
        return self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, bool):
            return ast.Constant(not node.operand.value)
        return node

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        is_and = isinstance(node.op, ast.And)
        values = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                if value.value == is_and:
                    continue  # `True and y` is y
                return ast.Constant(value.value) if not values else ast.BoolOp(node.op, [*values, value])
            values.append(value)
        if not values:
            return ast.Constant(is_and)
        return values[0] if len(values) == 1 else ast.BoolOp(node.op, values)

    def visit_IfExp(self, node: ast.IfExp):
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant) and isinstance(node.test.value, bool):
            return node.body if node.test.value else node.orelse
        return node


def _own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.iter]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return list(stmt.items)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Try)):
        return []
    return [stmt]


def _marker(patch_id: str) -> ast.stmt:
    return ast.Expr(ast.Call(ast.Name("deprecate_patch", ast.Load()), [ast.Constant(patch_id)], []))


class _Refused(Exception):
    """The contract says deprecate refuses this site."""


def _sometimes(test: ast.expr, patch_id: str) -> ast.BoolOp | None:
    """The `and`/`or` in which a site is evaluated only sometimes (after
    another condition), if any."""
    for node in ast.walk(test):
        if isinstance(node, ast.BoolOp) and any(
            _is_site(n, "patched", patch_id) for value in node.values[1:] for n in ast.walk(value)
        ):
            return node
    return None


def _reference_deprecate_block(stmts: list[ast.stmt], patch_id: str) -> list[ast.stmt]:
    """testdata/deprecate/README.md on `ast`: the marker just before the
    statement that evaluates the site (first in the block for `y and
    patched`), the taken code after it."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        for name in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, name, None), list):
                setattr(stmt, name, _reference_deprecate_block(getattr(stmt, name), patch_id))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _reference_deprecate_block(handler.body, patch_id)
        if not _holds_site(stmt, "patched", patch_id):
            out.append(stmt)
            continue
        folder = _FoldTrue(patch_id)
        if isinstance(stmt, ast.If) and _sometimes(stmt.test, patch_id) is not None:
            if not (isinstance(stmt.test, ast.BoolOp) and isinstance(stmt.test.op, ast.And)):
                raise _Refused("a site evaluated only sometimes that no block matches")
            stmt.test = folder.visit(stmt.test)
            stmt.body = [_marker(patch_id), *stmt.body]
            out.append(stmt)
            continue
        out.append(_marker(patch_id))
        if isinstance(stmt, ast.If):
            stmt.test = folder.visit(stmt.test)
            if isinstance(stmt.test, ast.Constant):
                out += stmt.body if stmt.test.value else stmt.orelse
            else:
                out.append(stmt)
        elif isinstance(stmt, ast.While):
            stmt.test = folder.visit(stmt.test)
            out.append(stmt)
        else:
            folded = folder.visit(stmt)
            if not (isinstance(folded, ast.Expr) and isinstance(folded.value, ast.Constant)):
                out.append(folded)
    return out


class _Normalize(ast.NodeTransformer):
    """Spelling of temporalio.workflow members, `pass` and docstrings aside."""

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        name = _member(node.func)
        if name in ("patched", "deprecate_patch"):
            node.func = ast.Name(name, ast.Load())
        return node

    def visit_Pass(self, node):
        return None

    def visit_Expr(self, node: ast.Expr):
        self.generic_visit(node)
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None
        return node


def _functions(tree: ast.Module) -> dict[str, str]:
    """Every function's normalized dump, by qualified name."""
    found = {}
    for stmt in tree.body:
        defs = [(stmt.name, stmt)] if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if isinstance(stmt, ast.ClassDef):
            defs = [(f"{stmt.name}.{s.name}", s) for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for name, node in defs:
            found[name] = ast.dump(_Normalize().visit(copy.deepcopy(node)))
    return found


def reference_deprecate(source: str, patch_id: str) -> dict[str, str] | None:
    """Each function's normalized dump after deprecate, or None where the
    contract refuses."""
    tree = ast.parse(source)
    try:
        return _reference_deprecate(tree, patch_id)
    except _Refused:
        return None


def _reference_deprecate(tree: ast.Module, patch_id: str) -> dict[str, str]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = _reference_deprecate_block(node.body, patch_id) or [ast.Pass()]
    return _functions(tree)


def reference_remove(source: str, patch_id: str) -> dict[str, str]:
    tree = ast.parse(source)

    class Drop(ast.NodeTransformer):
        def visit_Expr(self, node: ast.Expr):
            return None if _is_site(node.value, "deprecate_patch", patch_id) else node

    return _functions(Drop().visit(tree))


def _site_lines(source: str, member: str, patch_id: str) -> list[int]:
    return [n.lineno for n in ast.walk(ast.parse(source)) if _is_site(n, member, patch_id)]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _end_with_comments(text: list[str], end: int, indent: int) -> int:
    """`end` moved past the comment lines indented deeper than `indent` (the
    comments that close a block belong to the statement that holds it)."""
    while end < len(text) and text[end].lstrip().startswith("#") and _indent(text[end]) > indent:
        end += 1
    return end


def _holds_site(stmt: ast.stmt, member: str, patch_id: str) -> bool:
    return any(_is_site(n, member, patch_id) for part in _own_expressions(stmt) for n in ast.walk(part))


def deprecate_spans(source: str, patch_id: str) -> list[Span]:
    """Each statement holding a `patched(ID)` site (an `if` with all its
    branches, an `elif` to the end of its chain). Its comments must stay
    except on `drop` lines: the `if` line and the untaken branches when the
    test folds to a constant."""
    text = source.splitlines()
    spans = []
    for stmt in ast.walk(ast.parse(source)):
        if not (isinstance(stmt, ast.stmt) and _holds_site(stmt, "patched", patch_id)):
            continue
        start, indent = stmt.lineno - 1, _indent(text[stmt.lineno - 1])
        end = _end_with_comments(text, stmt.end_lineno, indent)
        kept = range(start, end)
        if isinstance(stmt, ast.If):
            test = _FoldTrue(patch_id).visit(copy.deepcopy(stmt.test))
            body_end = _end_with_comments(text, stmt.body[-1].end_lineno, indent)
            if isinstance(test, ast.Constant) and test.value:
                kept = range(start + 1, body_end)
            elif isinstance(test, ast.Constant):
                kept = range(body_end + 1, end) if stmt.orelse else range(0)
        spans.append(Span(start, end, "site", drop=frozenset(range(start, end)) - frozenset(kept)))
    return spans


def remove_spans(source: str, patch_id: str) -> list[Span]:
    """Each `deprecate_patch(ID)` statement's own lines: the only text remove
    may change there (testdata/remove/README.md: comments and blank lines
    around the call keep their place; an emptied block gets `pass`). A
    comment at the end of the call's line goes with it."""
    return [
        Span(stmt.lineno - 1, stmt.end_lineno, "deprecate_patch", frozenset(range(stmt.lineno - 1, stmt.end_lineno)))
        for stmt in ast.walk(ast.parse(source))
        if isinstance(stmt, ast.Expr) and _is_site(stmt.value, "deprecate_patch", patch_id)
    ]


def _is_new_test(test: ast.expr) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return _is_site(test, "patched", NEW_ID)


def _import_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))]


def same_newlines(before: str, after: str) -> None:
    """A CRLF file stays CRLF: every line the rewrite wrote included."""
    if "\r\n" in before:
        assert after.count("\n") == after.count("\r\n"), "a CRLF file got LF lines"


def _worlds(ids: list[str]) -> list[dict[str, bool]]:
    return [dict(zip(ids, values)) for values in itertools.product((False, True), repeat=len(ids))]


# --- introduce ------------------------------------------------------------------------


def check_introduce(base: str, edited: str) -> str | None:
    """Run introduce on (base, edited) and check every property; the result
    code when it rewrote, None otherwise."""
    try:
        result = introduce_patch(base, edited, NEW_ID, date=DATE)
    except Refusal as refusal:
        reason = _reason(refusal)
        record("introduce", f"refused: {reason}")
        assert reason != "INTERNAL ERROR", str(refusal)
        return None
    code = result.code
    tree = ast.parse(code)
    same_newlines(edited, code)

    # The rule, in every reachable world (a "nothing to do" result included:
    # then edited itself must behave as base).
    differences = introduce_differences(base, edited, code, NEW_ID)
    assert not differences, "\n\n".join(differences[:3])

    if not result.regions:
        record("introduce", "nothing to do")
        assert code == edited, _diff(edited, code)
        return None
    record("introduce", "rewritten")

    # No byte changed outside the regions: with every region turned back into
    # what the edit wrote, the result is edited, except for class docstrings
    # (the changelog) and imports (an old branch's name brought back).
    module = cst.parse_module(code)
    undo = _UndoIntroduce(NEW_ID)
    restored = module.visit(undo).code
    assert len(undo.pairs) == len(result.regions)
    spans = docstring_and_import_spans(edited)
    problems = match_outside(edited, restored, spans)
    assert not problems, "outside its regions the result is not the edited text:\n" + "\n".join(problems)

    # Each region is needed: its new branch and its old one behave differently.
    for _kind, new, old in undo.pairs:
        if _behaviour(module, new) == _behaviour(module, old):
            raise AssertionError("a region whose branches behave alike:\n" + "\n".join(_code_lines(module, new + old)))

    # Inside them, each old branch is base's text: its lines, indentation
    # aside, are a run of base's lines.
    base_lines = _stripped(base.splitlines())
    for branch in undo.old_branches:
        lines = _stripped(_code_lines(module, branch))
        one_line_body = len(lines) == 1 and any(line.endswith(": " + lines[0]) for line in base_lines)
        assert _contiguous_in(lines, base_lines) or one_line_body, "an old branch is not base's text:\n" + "\n".join(lines)

    # A region inside a loop is flagged as such and warned of at its `if`.
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    warned = {w.line for w in result.warnings if "loop" in w.message}
    for region in result.regions:
        node = next(
            n for n in ast.walk(tree) if isinstance(n, ast.If) and n.lineno == region.start_line and _is_new_test(n.test)
        )
        in_loop = False
        while not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node = parents[node]
            in_loop = in_loop or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        assert region.in_loop == in_loop and (region.start_line in warned) == in_loop, region
    for kind in sorted({r.kind for r in result.regions}):
        event(f"introduce: a {kind} region")
    if _import_lines(restored) != _import_lines(edited):
        event("introduce: an import brought back")

    # Committed, the result is base and working tree at once: nothing to do.
    again = introduce_patch(code, code, S.OTHER_ID, date=DATE)
    assert again.regions == [] and again.code == code, _diff(code, again.code)
    return code


@examples("introduce")
@given(case=S.edit_cases(large=LARGE))
def test_introduce_properties(case: S.EditCase) -> None:
    check_introduce(case.base_src, case.edited_src)


# --- deprecate ------------------------------------------------------------------------------


def check_deprecate(source: str, patch_id: str, prop: str = "deprecate") -> str | None:
    want = reference_deprecate(source, patch_id)
    try:
        result = deprecate_patches(source, [patch_id], date=DATE)
    except Refusal as refusal:
        reason = _reason(refusal)
        record(prop, f"refused: {reason}")
        assert reason != "INTERNAL ERROR", str(refusal)
        # The contract (testdata/deprecate/README.md) lists what is refused;
        # every site the generator makes outside that list can be rewritten.
        assert want is None, f"refused a site the contract rewrites: {refusal}"
        return None
    assert want is not None, "rewrote a site the contract refuses (`y or patched(ID)`):\n" + _diff(source, result.code)
    code = result.code
    ast.parse(code)
    same_newlines(source, code)
    if not result.sites:
        record(prop, "nothing to do")
        assert code == source
        assert not _site_lines(source, "patched", patch_id)
        return None
    record(prop, "rewritten")

    assert not _site_lines(code, "patched", patch_id), "a patched(ID) site is left"

    # The rule: the result behaves as the input with ID true, whatever the
    # other ids are.
    others = [i for i in patch_ids(source) if i != patch_id]
    for truth in _worlds(others):
        differences = behaves_as(code, World(truth), source, World({**truth, patch_id: True}))
        assert not differences, f"in {truth}:\n" + "\n\n".join(differences[:3])

    # In place: each site's statement becomes deprecate_patch(ID) and the
    # taken code, exactly where it stood (an `ast` re-statement of the rule).
    got = _functions(ast.parse(code))
    assert got == want, "\n".join(
        f"{name}:\n  want {want.get(name)}\n  got  {got.get(name)}" for name in sorted(set(want) | set(got)) if want.get(name) != got.get(name)
    )

    # No byte changed outside the site statements, docstrings and imports.
    spans = deprecate_spans(source, patch_id) + docstring_and_import_spans(source)
    problems = match_outside(source, code, spans)
    assert not problems, "deprecate changed text outside its sites:\n" + "\n".join(problems)

    again = deprecate_patches(code, [patch_id], date=DATE)
    assert again.code == code and not again.sites, _diff(code, again.code)
    return code


@examples("deprecate")
@given(case=S.edit_cases(patches="always", large=LARGE), use_introduce=st.booleans(), which=st.integers(0, 2))
def test_deprecate_properties(case: S.EditCase, use_introduce: bool, which: int) -> None:
    """On modules with existing patches (deprecate one of them), or on what
    introduce made of an edit to one (deprecate the new id; introduce's own
    properties are the test above)."""
    if use_introduce:
        try:
            introduced = introduce_patch(case.base_src, case.edited_src, NEW_ID, date=DATE)
        except Refusal:
            introduced = None
        if introduced is not None and introduced.regions:
            check_deprecate(introduced.code, NEW_ID)
            return
    source = case.base_src
    ids = patch_ids(source)
    check_deprecate(source, ids[which % len(ids)])


# --- remove ---------------------------------------------------------------------------------


def check_remove(source: str, patch_id: str) -> str | None:
    try:
        result = remove_patches(source, [patch_id], date=DATE)
    except Refusal as refusal:
        reason = _reason(refusal)
        record("remove", f"refused: {reason}")
        assert reason != "INTERNAL ERROR", str(refusal)
        # The contract refuses a marker inside an expression, and a patched(ID)
        # left; the generator makes neither.
        raise AssertionError(f"refused what the contract removes: {refusal}") from None
    code = result.code
    ast.parse(code)
    if not result.sites:
        record("remove", "nothing to do")
        assert code == source
        return None
    record("remove", "rewritten")
    same_newlines(source, code)
    assert not _site_lines(code, "deprecate_patch", patch_id), "a deprecate_patch(ID) call is left"

    for truth in _worlds(patch_ids(source)):
        differences = behaves_as(code, World(truth), source, World(truth))
        assert not differences, f"in {truth}:\n" + "\n\n".join(differences[:3])

    want = reference_remove(source, patch_id)
    got = _functions(ast.parse(code))
    assert got == want, "\n".join(
        f"{name}:\n  want {want.get(name)}\n  got  {got.get(name)}" for name in sorted(set(want) | set(got)) if want.get(name) != got.get(name)
    )

    # Lines not touched are unchanged: outside the removed calls' own lines,
    # docstrings and imports, every byte is the input's.
    spans = remove_spans(source, patch_id) + docstring_and_import_spans(source)
    problems = match_outside(source, code, spans)
    assert not problems, "remove changed text it did not remove:\n" + "\n".join(problems)

    again = remove_patches(code, [patch_id], date=DATE)
    assert again.code == code and not again.sites, _diff(code, again.code)
    return code


@examples("remove")
@given(
    case=S.edit_cases(patches="always", markers=True, large=LARGE),
    mode=st.sampled_from(["marker", "marker", "deprecated", "life"]),
    which=st.integers(0, 2),
)
def test_remove_properties(case: S.EditCase, mode: str, which: int) -> None:
    """On modules holding `deprecate_patch("gone-vK")` (remove one of those
    ids), on deprecate's result for an existing id, and on the whole life of
    a patch (introduce, deprecate, remove), whose end must behave as the
    edited code. The steps before remove are checked by the tests above."""
    source = case.base_src
    if mode == "marker":
        gone = [g for g in S.GONE_IDS if _site_lines(source, "deprecate_patch", g)]
        check_remove(source, gone[which % len(gone)])
        return
    if mode == "life":
        try:
            introduced = introduce_patch(source, case.edited_src, NEW_ID, date=DATE)
            deprecated = deprecate_patches(introduced.code, [NEW_ID], date=DATE) if introduced.regions else None
        except Refusal:
            deprecated = None
        if deprecated is not None:
            final = check_remove(deprecated.code, NEW_ID)
            if final is not None:
                # Once the new id is gone every execution took it, and every
                # older patch with it: the one world left has them all true.
                world = World({}, default=True)
                differences = behaves_as(final, world, case.edited_src, world)
                assert not differences, "the end of a patch's life is not the edit:\n" + "\n\n".join(differences[:3])
            return
    ids = patch_ids(source)
    patch_id = ids[which % len(ids)]
    try:
        deprecated = deprecate_patches(source, [patch_id], date=DATE)
    except Refusal:
        record("remove", "input refused by deprecate")
        return
    check_remove(deprecated.code, patch_id)


# --- how often the generators are refused ---------------------------------------------------


def test_refusals_stay_rare() -> None:
    """Runs after the properties (pytest keeps file order): a property that
    is refused most of the time tests nothing."""
    if sum(sum(c.values()) for c in OUTCOMES.values()) < 50:
        pytest.skip("the properties did not run in this session")
    report = []
    for prop, counts in sorted(OUTCOMES.items()):
        total = sum(counts.values())
        refused = sum(n for outcome, n in counts.items() if outcome.startswith("refused"))
        report.append(f"{prop}: {total} runs, {refused / total:.0%} refused")
        for outcome, n in counts.most_common():
            report.append(f"    {n:6d}  {outcome}")
        for bug, n in SYMPTOMS[prop].most_common():
            report.append(f"    {n:6d}  of them showed the known bug {bug!r}")
    text = "\n".join(report)
    if PROFILE != "ci" or os.environ.get("PATCHMOD_PROPERTY_REPORT"):
        print("\n" + text)
    for prop in ("introduce", "deprecate", "remove"):
        counts = OUTCOMES.get(prop)
        if counts:
            assert counts["rewritten"] / sum(counts.values()) >= 0.4, text


# --- the bugs the properties found, as minimal regression tests ------------------------------
#
# Fixed in 4cbe1ba: a logging-only change inside `if patched(OLD)` made a
# chain; a chain took its `else` from base and lost the edit's comments
# there; deprecate lost an elif's closing comment, and the lines above an
# import it dropped. Fixed in 02b2eb5: introduce crashed (IndentationError)
# on an edit under an `if [not] patched(OLD):  # comment` line; remove
# dropped the blank lines above a call that ended its block.

_BASE_WITH_PATCH = '''from temporalio import workflow


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, x: int) -> int:
        if workflow.patched("old-v1"):
            await workflow.sleep(1)
            workflow.logger.info("slept")
        else:
            await workflow.sleep(2)
        return x
'''


def test_regression_logging_change_in_patched_branch_needs_no_patch() -> None:
    edited = _BASE_WITH_PATCH.replace('info("slept")', 'info("slept a second")')
    result = introduce_patch(_BASE_WITH_PATCH, edited, NEW_ID, date=DATE)
    # Logging never needs a patch (DESIGN.md): nothing to do.
    assert result.regions == [] and result.code == edited, result.code


def test_regression_chain_keeps_a_comment_added_to_the_old_else() -> None:
    edited = _BASE_WITH_PATCH.replace("sleep(1)", "sleep(3)").replace(
        "        else:\n", "        else:\n            # old executions only\n"
    )
    result = introduce_patch(_BASE_WITH_PATCH, edited, NEW_ID, date=DATE)
    assert [r.kind for r in result.regions] == ["chain"]
    # The else behaves as base's (introduce checked that), and the edit's
    # comment in it is the developer's work: it must not vanish.
    assert "# old executions only" in result.code, result.code


def test_regression_dropping_an_unused_import_keeps_the_lines_above_it() -> None:
    source = '''"""Order workflows."""

# standard library
from contextlib import suppress
from datetime import timedelta

from temporalio import workflow


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, x: int) -> int:
        if workflow.patched("old-v1"):
            await workflow.sleep(timedelta(seconds=1))
        else:
            with suppress(KeyError):
                await workflow.sleep(2)
'''
    result = deprecate_patches(source, ["old-v1"], date=DATE)
    assert "import suppress" not in result.code  # only the dropped branch used it
    assert result.code.startswith('"""Order workflows."""\n\n# standard library\nfrom datetime import timedelta\n'), result.code


def test_regression_deprecating_an_elif_keeps_its_closing_comment() -> None:
    source = _BASE_WITH_PATCH.replace(
        '        if workflow.patched("old-v1"):\n',
        '        if workflow.patched("new-v2"):\n            await workflow.sleep(3)\n        elif workflow.patched("old-v1"):\n',
    ).replace('workflow.logger.info("slept")', "# closing comment of the old-v1 branch")
    result = deprecate_patches(source, ["old-v1"], date=DATE)
    assert 'workflow.deprecate_patch("old-v1")' in result.code
    # The kept branch keeps its comments, as it does for an `if` site.
    assert "# closing comment of the old-v1 branch" in result.code, result.code


def test_regression_edit_under_a_commented_if_not_patched_is_refused_not_a_crash() -> None:
    base = _BASE_WITH_PATCH.replace(
        '        if workflow.patched("old-v1"):\n            await workflow.sleep(1)\n            workflow.logger.info("slept")\n        else:\n',
        '        if not workflow.patched("old-v1"):  # old executions only\n',
    )
    edited = base.replace("sleep(2)", "sleep(3)")
    # The code an old patch runs when false changed: a refusal with a line
    # (DESIGN.md: never a traceback), as for the same edit without the comment.
    with pytest.raises(Refusal):
        introduce_patch(base, edited, NEW_ID, date=DATE)


def test_regression_remove_keeps_the_blank_line_above_a_call_that_ends_its_block() -> None:
    source = _BASE_WITH_PATCH.replace(
        '        if workflow.patched("old-v1"):\n            await workflow.sleep(1)\n            workflow.logger.info("slept")\n        else:\n            await workflow.sleep(2)\n        return x\n',
        '        await workflow.sleep(1)\n\n        workflow.deprecate_patch("old-v1")\n        # closing comment\n',
    )
    result = remove_patches(source, ["old-v1"], date=DATE)
    # Only the call's own line goes (testdata/remove/README.md).
    assert "        await workflow.sleep(1)\n\n        # closing comment\n" in result.code, result.code


def test_regression_deprecate_rewrites_a_site_on_a_block_header_line() -> None:
    source = _BASE_WITH_PATCH.replace(
        '        if workflow.patched("old-v1"):\n            await workflow.sleep(1)\n            workflow.logger.info("slept")\n        else:\n            await workflow.sleep(2)\n',
        '        if x > 1: self.state = 1 if workflow.patched("old-v1") else 2\n',
    )
    # Not one of the contract's refusals (testdata/deprecate/README.md): the
    # site is evaluated whenever its statement runs, so the marker goes just
    # before that statement, inside the block.
    result = deprecate_patches(source, ["old-v1"], date=DATE)
    assert "        if x > 1:\n            workflow.deprecate_patch(\"old-v1\")\n            self.state = 1\n" in result.code, result.code


def test_regression_remove_takes_a_marker_from_a_block_header_line() -> None:
    source = _BASE_WITH_PATCH.replace(
        '        if workflow.patched("old-v1"):\n            await workflow.sleep(1)\n            workflow.logger.info("slept")\n        else:\n            await workflow.sleep(2)\n',
        '        if x > 1: workflow.deprecate_patch("old-v1"); self.n = 1\n',
    )
    # A statement of its own, on a line of several: only it goes
    # (testdata/remove/README.md).
    result = remove_patches(source, ["old-v1"], date=DATE)
    assert "        if x > 1: self.n = 1\n" in result.code, result.code
