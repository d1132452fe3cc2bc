"""deprecate: every `patched(ID)` becomes `deprecate_patch(ID)` in place, and
the code keeps only what ran with the patch taken.

    if workflow.patched("ID"):        workflow.deprecate_patch("ID")
        new()                   ->    new()
    else:
        old()

The marker was recorded wherever the first *executed* `patched(ID)` stood, so
each site gets its `deprecate_patch(ID)` exactly there: as the statement just
before the one that held the call (or, for an `elif`, first in the `else`).
That is only the same place when no command can run between that statement's
start and the call, so a site after an `await` in the same statement, or in a
lambda or generator that runs later, is refused.
"""

from __future__ import annotations

import ast
import bisect
import datetime
from collections import Counter
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from .findings import Finding, Refusal
from .patch_sites import ByNode, Spelling, holding, might_hold
from .retire import (
    RetireResult,
    SiteChange,
    add_history,
    checked,
    fill_empty_blocks,
    names_left_unused,
    owners_of,
    remove_imports_of,
    rewrite_focused,
)
from .source import parse_python, split_bom
from .workflow_code import find_workflow_code

# Code that runs later, or any number of times, not where the statement stands.
_DEFERRED = (cst.Lambda, cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp, cst.FunctionDef)


class _Fold(cst.CSTTransformer):
    """Replace the sites in one expression with True and fold what that
    decides: `not`, `and`/`or`, conditional expressions. Only constants this
    pass made are folded; a `True` the author wrote stays."""

    def __init__(self, sites: set[int], dropped: list[cst.CSTNode]):
        self.sites = sites
        self.constants: ByNode = ByNode()
        self.dropped = dropped

    def _constant(self, value: bool, like: cst.BaseExpression | None = None) -> cst.Name:
        node = cst.Name("True" if value else "False")
        if like is not None and like.lpar:
            node = node.with_changes(lpar=like.lpar, rpar=like.rpar)
        self.constants[node] = value
        return node

    def value_of(self, node: cst.CSTNode) -> bool | None:
        return self.constants.get(node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node) in self.sites:
            return self._constant(True, updated_node)
        return updated_node

    def leave_UnaryOperation(self, original_node, updated_node):
        value = self.value_of(updated_node.expression)
        if isinstance(updated_node.operator, cst.Not) and value is not None:
            return self._constant(not value)
        return updated_node

    def leave_BooleanOperation(self, original_node, updated_node):
        left, right = updated_node.left, updated_node.right
        lvalue, rvalue = self.value_of(left), self.value_of(right)
        is_and = isinstance(updated_node.operator, cst.And)
        # The value that decides alone: False for `and`, True for `or`.
        decisive = not is_and
        if lvalue is not None:
            if lvalue == decisive:
                self.dropped.append(right)
                return self._constant(decisive)
            return right.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar) if updated_node.lpar else right
        if rvalue is not None:
            if rvalue != decisive:
                return left.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar) if updated_node.lpar else left
            # `y and False`: y still runs first; keep it when it may do something.
            if _pure(left):
                self.dropped.append(left)
                return self._constant(decisive)
        return updated_node

    def leave_IfExp(self, original_node, updated_node):
        value = self.value_of(updated_node.test)
        if value is None:
            return updated_node
        kept, dropped = (updated_node.body, updated_node.orelse) if value else (updated_node.orelse, updated_node.body)
        self.dropped.append(dropped)
        if updated_node.lpar:
            kept = kept.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
        return kept


def _statements_of(suite: cst.BaseSuite) -> tuple[list[cst.BaseStatement], Sequence[cst.EmptyLine]]:
    """A block's statements as lines of their own, and its closing comments."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body), suite.footer
    return [cst.SimpleStatementLine(body=[small]) for small in suite.body], ()


def _has_await(node: cst.CSTNode) -> bool:
    class Finder(cst.CSTVisitor):
        found = False

        def visit_Await(self, child: cst.Await) -> None:
            self.found = True

    finder = Finder()
    node.visit(finder)
    return finder.found


def _pure(node: cst.CSTNode) -> bool:
    """No call, await, yield or assignment expression inside."""

    class Finder(cst.CSTVisitor):
        found = False

        def on_visit(self, child: cst.CSTNode) -> bool:
            if isinstance(child, (cst.Call, cst.Await, cst.Yield, cst.NamedExpr)):
                self.found = True
            return not self.found

    finder = Finder()
    node.visit(finder)
    return not finder.found


class _SiteScan(cst.CSTVisitor):
    """The sites in a statement's own expressions, in evaluation order, with
    whether an `await` completed before each, or it sits in code that runs
    later (a lambda, a generator)."""

    def __init__(self, spelling: Spelling, patch_ids: set[str]):
        self.spelling = spelling
        self.patch_ids = patch_ids
        self.sites: list[tuple[cst.Call, str, str | None]] = []  # node, id, why it cannot move
        self.awaited = False
        self.deferred = 0
        # Operands evaluated only sometimes: right of `and`/`or`, branches
        # of a conditional expression.
        self.sometimes: set[int] = set()
        self.conditional = 0

    def visit_Call(self, node: cst.Call) -> bool:
        patch_id = self.spelling.call_id(node, "patched")
        if patch_id is not None and patch_id in self.patch_ids:
            why = None
            if self.deferred:
                why = "it sits in a lambda, generator or comprehension that runs later or repeatedly"
            elif self.awaited:
                why = "an await runs before it in the same statement"
            elif self.conditional:
                why = (
                    "it runs only when the expression before it lets it (after `and`/`or`, or in a "
                    "branch of a conditional expression), and no statement boundary matches that"
                )
            self.sites.append((node, patch_id, why))
        return True

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> bool:
        self.sometimes.add(id(node.right))
        return True

    def visit_IfExp(self, node: cst.IfExp) -> bool:
        self.sometimes.update((id(node.body), id(node.orelse)))
        return True

    def leave_Await(self, original_node: cst.Await) -> None:
        self.awaited = True

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseSuite):
            return False  # a block's statements are statements of their own
        if isinstance(node, _DEFERRED):
            self.deferred += 1
        if id(node) in self.sometimes:
            self.conditional += 1
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, _DEFERRED):
            self.deferred -= 1
        if id(original_node) in self.sometimes:
            self.conditional -= 1
        super().on_leave(original_node)


def _header_parts(stmt: cst.CSTNode) -> list[cst.CSTNode]:
    """The expressions a statement evaluates itself (not its blocks)."""
    if isinstance(stmt, cst.If):
        return [stmt.test]
    if isinstance(stmt, cst.While):
        return [stmt.test]
    if isinstance(stmt, cst.For):
        return [stmt.iter]
    if isinstance(stmt, cst.With):
        return list(stmt.items)
    if isinstance(stmt, cst.SimpleStatementLine):
        return [stmt]
    return []


class _Deprecate(cst.CSTTransformer):
    def __init__(self, patch_ids: set[str], spelling: Spelling, deprecate_func: str, lines: dict[int, int],
                 hot: set[int]):
        self.patch_ids = patch_ids
        self.spelling = spelling
        self.deprecate_func = cst.parse_expression(deprecate_func)
        self.lines = lines  # id(site call) -> line, filled by the caller
        self.hot = hot  # ids of the site calls and every node that holds one
        self.untouched: set[int] = set()  # ids of the subtrees kept as parsed
        self.sites: list[SiteChange] = []
        self.problems: list[Finding] = []
        self.dropped: list[cst.CSTNode] = []
        self.scope: list[tuple[str, str]] = []  # ("class"|"def", name)
        self.elifs: set[int] = set()
        self.handled = ByNode()  # the site calls seen in a statement
        self.site_lines = ByNode()  # updated site call -> line
        self.trailing = ByNode()  # statement -> comment lines to put right after it

    # Only the nodes that hold a site are walked and rebuilt: elsewhere no
    # hook of this transformer changes anything (each one returns the node
    # it was given where its statement holds no site), so a subtree without
    # a site is kept as it is. Classes and functions still enter and leave
    # the scope.
    def on_visit(self, node: cst.CSTNode) -> bool:
        if super().on_visit(node) and id(node) in self.hot:
            return True
        self.untouched.add(id(node))
        return False

    def on_leave(self, original_node, updated_node):
        if id(original_node) in self.hot or isinstance(original_node, (cst.ClassDef, cst.FunctionDef)):
            return super().on_leave(original_node, updated_node)
        return updated_node

    # where we are, for the changelog and the report
    def _where(self) -> tuple[str | None, str | None]:
        class_name = next((n for k, n in self.scope[:1] if k == "class"), None)
        function = next((n for k, n in reversed(self.scope) if k == "def"), None)
        if class_name is not None:
            defs = [n for k, n in self.scope if k == "def"]
            function = defs[0] if defs else None
        return class_name, function

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(("class", node.name.value))

    def leave_ClassDef(self, original_node, updated_node):
        self.scope.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.append(("def", node.name.value))

    def leave_FunctionDef(self, original_node, updated_node):
        self.scope.pop()
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        # libcst rebuilds every node on the way up: follow each site's line
        # from the parsed call to the one the enclosing statement will hold.
        line = self.lines.get(id(original_node))
        if line is not None:
            self.site_lines[updated_node] = line
        return updated_node

    def visit_If(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))

    # --- one statement -------------------------------------------------

    def _scan(self, parts: Sequence[cst.CSTNode]) -> list[tuple[cst.Call, str, str | None]]:
        scan = _SiteScan(self.spelling, self.patch_ids)
        for part in parts:
            part.visit(scan)
        return scan.sites

    def _deprecate_line(self, site: cst.Call) -> cst.SimpleStatementLine:
        call = cst.Call(func=self.deprecate_func, args=[cst.Arg(site.args[0].value)])
        return cst.SimpleStatementLine(body=[cst.Expr(call)])

    def _record(self, sites, form: str) -> list[cst.SimpleStatementLine] | None:
        """The `deprecate_patch` statements for `sites`, or None (and a
        problem noted) when one of them cannot move."""
        class_name, function = self._where()
        ok = True
        for node, patch_id, why in sites:
            self.handled.add(node)
            line = self.site_lines.get(node, 0)
            if why is not None:
                self.problems.append(
                    Finding(line, f"cannot deprecate patched({patch_id!r}) here: {why}; "
                            "move the call into a statement of its own first")
                )
                ok = False
            else:
                self.sites.append(SiteChange(patch_id, line, class_name, function, form))
        if not ok:
            return None
        seen: set[str] = set()
        statements = []
        for node, patch_id, _ in sites:
            if patch_id not in seen:  # one marker per id per place is enough
                seen.add(patch_id)
                statements.append(self._deprecate_line(node))
        return statements

    def _fold(self, node: cst.CSTNode, sites) -> tuple[cst.CSTNode, _Fold]:
        fold = _Fold({id(call) for call, _, _ in sites}, self.dropped)
        return node.visit(fold), fold

    @staticmethod
    def _with_leading(statements: list[cst.BaseStatement], leading) -> list[cst.BaseStatement]:
        if statements:
            statements[0] = statements[0].with_changes(leading_lines=[*leading, *statements[0].leading_lines])
        return statements

    def _rewrite_if(self, node: cst.If, form: str) -> list[cst.BaseStatement] | None:
        """`node` as statements, or None when nothing changes."""
        sites = self._scan([node.test])
        orelse = node.orelse
        new_orelse: cst.If | cst.Else | None = orelse
        if isinstance(orelse, cst.If):
            inner = self._rewrite_if(orelse, "elif")
            if inner is not None:
                if len(inner) == 1 and isinstance(inner[0], cst.If):
                    new_orelse = inner[0]
                else:
                    inner[0] = inner[0].with_changes(leading_lines=())
                    placed, closing = self._place_trailing(inner)
                    block = cst.IndentedBlock(body=placed or inner, footer=closing)
                    new_orelse = cst.Else(body=block, leading_lines=orelse.leading_lines)
        guarded = self._guarded_site(node, new_orelse, form)
        if guarded is not None:
            return guarded
        if not sites:
            if new_orelse is orelse:
                return None
            return [node.with_changes(orelse=new_orelse)]
        before = self._record(sites, form)
        if before is None:
            return None
        test, fold = self._fold(node.test, sites)
        value = fold.value_of(test)
        footer: Sequence[cst.EmptyLine] = ()
        if value is True:
            if new_orelse is not None:
                self.dropped.append(new_orelse)
            kept, footer = _statements_of(node.body)
        elif value is False:
            self.dropped.append(node.body)
            if isinstance(new_orelse, cst.Else):
                kept, footer = _statements_of(new_orelse.body)
            elif isinstance(new_orelse, cst.If):
                kept = [new_orelse.with_changes(leading_lines=())]
            else:
                kept = []
        else:
            kept = [node.with_changes(test=test, orelse=new_orelse, leading_lines=())]
        header = node.body.header if isinstance(node.body, cst.IndentedBlock) else None
        if value is not None and header is not None and header.comment is not None and before:
            # `if workflow.patched("ID"):  # why` keeps its comment on the marker.
            before[-1] = before[-1].with_changes(trailing_whitespace=header)
        statements = self._with_leading([*before, *kept], node.leading_lines)
        if any(line.comment is not None for line in footer):
            # Comments that closed the kept block now close the statements
            # moved out of it: the enclosing block puts them after.
            self.trailing[statements[-1]] = list(footer)
        return statements

    def _guarded_site(self, node: cst.If, new_orelse, form: str) -> list[cst.BaseStatement] | None:
        """`if y and patched(ID): A else: B` -> `if y: deprecate_patch(ID); A
        else: B`: the call ran exactly when `y` held, so its marker goes first
        in that block, not before the `if`."""
        test = node.test
        if not (isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And) and not test.lpar):
            return None
        patch_id = self.spelling.call_id(test.right, "patched")
        if patch_id not in self.patch_ids or self._scan([test.left]) or not isinstance(node.body, cst.IndentedBlock):
            return None
        why = "an await runs before it in the same statement" if _has_await(test.left) else None
        before = self._record([(test.right, patch_id, why)], form)
        if before is None:
            return [node.with_changes(orelse=new_orelse)]  # refused; the problem is noted
        body = node.body.with_changes(body=[*before, *node.body.body])
        return [node.with_changes(test=test.left, body=body, orelse=new_orelse)]

    def _place_trailing(self, body: Sequence[cst.BaseStatement]):
        """Put the pending closing comments after their statements: above the
        next statement, or returned to close the block."""
        if not any(stmt in self.trailing for stmt in body):
            return None, ()
        result = list(body)
        closing: list[cst.EmptyLine] = []
        for index, stmt in enumerate(body):
            lines = self.trailing.pop(stmt, None)
            if lines is None:
                continue
            if index + 1 < len(result):
                after = result[index + 1]
                result[index + 1] = after.with_changes(leading_lines=[*lines, *after.leading_lines])
            else:
                closing = lines
        return result, closing

    def leave_IndentedBlock(self, original_node, updated_node):
        body, closing = self._place_trailing(updated_node.body)
        if body is None:
            return updated_node
        return updated_node.with_changes(body=body, footer=[*closing, *updated_node.footer])

    def leave_Module(self, original_node, updated_node):
        body, closing = self._place_trailing(updated_node.body)
        if body is None:
            return updated_node
        return updated_node.with_changes(body=body, footer=[*closing, *updated_node.footer])

    def leave_If(self, original_node: cst.If, updated_node: cst.If):
        if id(original_node) in self.elifs:
            return updated_node  # its `if` rewrites the whole chain
        statements = self._rewrite_if(updated_node, "if")
        if statements is None:
            return updated_node
        return cst.FlattenSentinel(statements)

    def _rewrite_header(self, updated_node, field: str, form: str):
        sites = self._scan(_header_parts(updated_node))
        if not sites:
            return updated_node
        before = self._record(sites, form)
        if before is None:
            return updated_node
        value, _ = self._fold(getattr(updated_node, field), sites)
        node = updated_node.with_changes(**{field: value, "leading_lines": ()})
        return cst.FlattenSentinel(self._with_leading([*before, node], updated_node.leading_lines))

    def leave_While(self, original_node, updated_node):
        return self._rewrite_header(updated_node, "test", "loop")

    def leave_For(self, original_node, updated_node):
        return self._rewrite_header(updated_node, "iter", "loop")

    def leave_With(self, original_node, updated_node):
        return self._rewrite_header(updated_node, "items", "with")

    def leave_SimpleStatementLine(self, original_node, updated_node):
        sites = self._scan([updated_node])
        if not sites:
            return updated_node
        before = self._record(sites, "expression")
        if before is None:
            return updated_node
        line, fold = self._fold(updated_node, sites)
        # `workflow.patched("ID")` alone as a statement: only the marker stays.
        body = [
            small
            for small in line.body
            if not (isinstance(small, cst.Expr) and fold.value_of(small.value) is not None)
        ]
        if not body:
            return cst.FlattenSentinel(self._with_leading(before, updated_node.leading_lines))
        line = line.with_changes(body=body, leading_lines=())
        return cst.FlattenSentinel(self._with_leading([*before, line], updated_node.leading_lines))

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        # `if x: a = 1 if patched(ID) else 2`, the body on the header line:
        # the marker needs a line of its own before the statement, so the
        # body becomes an indented block (its comment stays on the statement).
        line = cst.SimpleStatementLine(body=updated_node.body, trailing_whitespace=updated_node.trailing_whitespace)
        rewritten = self.leave_SimpleStatementLine(line, line)
        if not isinstance(rewritten, cst.FlattenSentinel):
            return updated_node  # no site, or one that cannot move (noted)
        return cst.IndentedBlock(body=list(rewritten.nodes))


def _site_lines(tree: ast.Module, module: cst.Module, spelling: Spelling,
                patch_ids: set[str]) -> tuple[dict[int, int], set[int]]:
    """Line of each libcst site, by matching the n-th site in source order in
    both trees (positions from libcst metadata would cost another pass), and
    the ids of the site calls and of every node that holds one."""
    calls, defs = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.append(node)
    ast_sites = sorted(
        (node.lineno, node.col_offset)
        for node in calls
        if spelling.bindings.member(node.func) == "patched"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in patch_ids
    )

    # Functions and classes (by name) whose lines, decorators included, hold
    # a site: no other one is walked.
    rows = sorted(line for line, _ in ast_sites)
    holders = set()
    for node in defs:
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        i = bisect.bisect_left(rows, first)
        if i < len(rows) and rows[i] <= (node.end_lineno or node.lineno):
            holders.add(node.name)

    def is_site(node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and spelling.call_id(node, "patched") in patch_ids

    # The sites and the nodes that hold them, found by a plain walk over the
    # nodes' fields (several times as fast as a libcst visit, which rebuilds
    # every node); then a libcst visit of those nodes alone lists the sites
    # in libcst's own order.
    hot, found = holding(module, is_site, holders)

    class Collect(cst.CSTVisitor):
        def __init__(self, hot: set[int] | None) -> None:
            self.hot = hot
            self.calls: list[cst.Call] = []
            self.path: list[int] = []  # ids of the nodes from the module down to here
            self.holding: set[int] = set()

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.path.append(id(node))
            if self.hot is not None and id(node) not in self.hot:
                return False
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value not in holders:
                return False
            if is_site(node):
                self.calls.append(node)
                self.holding.update(self.path)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.path.pop()

    collect = Collect(hot)
    module.visit(collect)
    if len(collect.calls) != found:  # the walk missed a field libcst visits: walk it all
        collect = Collect(None)
        module.visit(collect)
    return {id(call): line for call, (line, _) in zip(collect.calls, ast_sites)}, collect.holding


def _names_in(nodes: list[cst.CSTNode]) -> Counter[str]:
    names: Counter[str] = Counter()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names[node.value] += 1

    for node in nodes:
        node.visit(Collect())
    return names


def deprecate_patches(source: str, patch_ids: Sequence[str], *, date: datetime.date) -> RetireResult:
    """`source` with every `patched(ID)` of `patch_ids` deprecated in place.

    Raises Refusal when a site cannot be rewritten exactly."""
    bom, body = split_bom(source)
    result = rewrite_focused(body, patch_ids, lambda text: _deprecate_patches(text, patch_ids, date=date))
    result.code = bom + result.code
    return result


def _deprecate_patches(source: str, patch_ids: Sequence[str], *, date: datetime.date) -> RetireResult:
    ids = set(patch_ids)
    if not might_hold(source, list(ids)):
        return RetireResult(code=source)
    tree = parse_python(source)
    code_map = find_workflow_code(tree)
    bindings = code_map.bindings
    if bindings.name_for("patched") is None:
        return RetireResult(code=source)  # `patched` is not temporalio's here
    spelling = Spelling(bindings)
    module = cst.parse_module(source)

    deprecate_func = bindings.name_for("deprecate_patch")
    add_import = deprecate_func is None  # only `from temporalio.workflow import patched`
    lines, hot = _site_lines(tree, module, spelling, ids)
    transform = _Deprecate(ids, spelling, deprecate_func or "deprecate_patch", lines, hot)
    new_module = module.visit(transform)
    # A site outside any statement the transform rewrites (a decorator, a
    # default argument, a class attribute) would be left behind: refuse.
    problems = transform.problems + [
        Finding(line, "cannot deprecate patched() here: only calls in statements, conditions and loop "
                "headers can be rewritten in place")
        for site, line in zip(transform.site_lines.nodes(), transform.site_lines.values())
        if site not in transform.handled
    ]
    if problems:
        raise Refusal(sorted(problems, key=lambda f: f.line))
    if not transform.sites:
        return RetireResult(code=source)

    if add_import:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, "temporalio.workflow", "deprecate_patch")
        new_module = AddImportsVisitor(context).transform_module(new_module)
    dropped = _names_in(transform.dropped)
    dropped.update({local: len(transform.sites) for local, member in bindings.members.items() if member == "patched"})
    new_module = remove_imports_of(fill_empty_blocks(new_module, transform.untouched), names_left_unused(tree, dropped))
    touched = owners_of(transform.sites, code_map)
    new_module = add_history(new_module, touched, "deprecated", date)
    code = new_module.code
    checked(code)
    return RetireResult(code=code, sites=transform.sites, classes=list(touched))

