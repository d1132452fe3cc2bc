"""introduce: wrap every changed region of workflow code in `workflow.patched`.

`introduce_patch(base, edited, patch_id, date=...)` compares two versions of a
module and returns the edited version in which each changed run of workflow
statements reads

    if workflow.patched(ID):
        <edited statements>
    else:
        <base statements, as base wrote them>

so that, with the patch taken, the module behaves as edited and, without it,
as base (DESIGN.md, "The rule every rewrite keeps"). Everything outside the
regions keeps its bytes.
"""

from __future__ import annotations

import ast
import datetime
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .changelog import add_history_line, history_entry
from .findings import Finding, IntroduceResult, Region, RegionKind, refuse
from .patch_ids import history_ids, invalid_reason
from .source import parse_python, split_bom
from .workflow_code import (
    WorkflowCode,
    find_workflow_code,
    is_inert,
    is_pinned,
    module_level_names,
    paused_gc,
    pinned_note,
)


def patch_ids_in(tree: ast.Module) -> dict[str, int]:
    """Ids passed as string literals to `patched`/`deprecate_patch`, with a line."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        arg = node.args[0]
        if name in ("patched", "deprecate_patch") and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.setdefault(arg.value, node.lineno)
    return found


# --- statement keys -------------------------------------------------------


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False)


def _args_key(args: ast.arguments) -> str:
    # Annotations do not change behaviour; names, kinds and defaults do.
    stripped = [
        ast.arg(arg=a.arg)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        if a is not None
    ]
    return "|".join(_dump(a) for a in stripped) + "|" + "|".join(
        _dump(d) for d in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
    )


def header_key(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return "|".join(
        [type(node).__name__, node.name, _args_key(node.args), *(_dump(d) for d in node.decorator_list)]
    )


class _Keys:
    """Behavioural keys of libcst statements: `ast.dump` of their code with
    comments, formatting and inert statements (logging, pass, docstrings)
    left out."""

    def __init__(self, module: cst.Module):
        self.module = module
        self._full: dict[int, str | None] = {}

    def tree(self, stmt: cst.CSTNode) -> ast.Module:
        return ast.parse(self.module.code_for_node(stmt).strip("\r\n").lstrip())

    def full(self, stmt: cst.BaseStatement) -> str | None:
        key = id(stmt)
        if key not in self._full:
            # Inert statements count at no depth: a log line changed inside
            # a loop needs no patch either.
            kept = [s for s in _strip_inert(self.tree(stmt)).body if not is_inert(s)]  # type: ignore[attr-defined]
            self._full[key] = "\n".join(_dump(s) for s in kept) if kept else None
        return self._full[key]

    def header(self, stmt: cst.BaseStatement) -> str | None:
        """A compound statement's header; a simple statement's full key.

        None for compound statements that are only ever compared whole."""
        if not isinstance(stmt, cst.BaseCompoundStatement):
            return self.full(stmt)
        node = self.tree(stmt).body[0]
        kind = type(node).__name__
        if isinstance(node, (ast.If, ast.While)):
            return f"{kind}:{_dump(node.test)}"
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return f"{kind}:{_dump(node.target)}:{_dump(node.iter)}"
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return f"{kind}:" + "|".join(_dump(item) for item in node.items)
        if isinstance(node, ast.Try):
            handlers = "|".join(f"{_dump(h.type) if h.type else '*'} as {h.name}" for h in node.handlers)
            return f"{kind}:{handlers}:{bool(node.orelse)}:{bool(node.finalbody)}"
        return None

    def expr(self, node: cst.BaseExpression | cst.BaseAssignTargetExpression) -> str:
        code = self.module.code_for_node(node)
        return _dump(ast.parse("(" + code + ")", mode="eval"))


# --- the rewrite ----------------------------------------------------------


@dataclass
class _Context:
    class_name: str | None
    function: str
    in_loop: bool = False


@dataclass
class _PlannedRegion:
    context: _Context
    kind: RegionKind
    old: list[cst.BaseStatement]  # base statements the old branch runs
    new: list[cst.BaseStatement] = field(default_factory=list)  # edited ones, as parsed


class _Rewriter:
    def __init__(self, base: cst.Module, edited: cst.Module, patched_expr: str):
        self.base = base
        self.edited = edited
        self.base_keys = _Keys(base)
        self.edited_keys = _Keys(edited)
        self.patched_call = cst.parse_expression(patched_expr)
        self.regions: list[_PlannedRegion] = []
        self._positions: dict[int, dict] = {}

    # positions are only needed for a refusal; computed then.
    def line_of(self, module: cst.Module, node: cst.CSTNode) -> int:
        key = id(module)
        if key not in self._positions:
            wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
            self._positions[key] = wrapper.resolve(PositionProvider)  # type: ignore[assignment]
        return self._positions[key][node].start.line

    def first_use(self, statements: list[cst.BaseStatement], wanted) -> int:
        """Line in base of the first node `wanted` accepts in `statements`."""
        for stmt in statements:
            tree = ast.parse(self.base.code_for_node(stmt.with_changes(leading_lines=())).strip("\r\n"))
            hits = [node.lineno for node in ast.walk(tree) if wanted(node) and hasattr(node, "lineno")]
            if hits:
                return self.line_of(self.base, stmt) + min(hits) - 1
        return self.line_of(self.base, statements[0]) if statements else 1

    def _if(self, body: Sequence[cst.BaseStatement], orelse: Sequence[cst.BaseStatement] | None, negate: bool) -> cst.If:
        test: cst.BaseExpression = self.patched_call
        if negate:
            test = cst.UnaryOperation(operator=cst.Not(), expression=test)
        body = list(body)
        leading = body[0].leading_lines if body and not negate else ()
        if body:
            body[0] = body[0].with_changes(leading_lines=_comments_only(body[0].leading_lines) if negate else ())
        else_clause = None
        if orelse is not None:
            orelse = list(orelse)
            comments = _comments_only(orelse[0].leading_lines)
            if [c.comment.value for c in comments] == [c.comment.value for c in _comments_only(leading)]:
                comments = []  # the same comment already stands above the `if`
            orelse[0] = orelse[0].with_changes(leading_lines=comments)
            else_clause = cst.Else(body=cst.IndentedBlock(body=orelse))
        return cst.If(test=test, body=cst.IndentedBlock(body=body), orelse=else_clause, leading_lines=leading)

    def block(
        self, base_stmts: Sequence[cst.BaseStatement], edit_stmts: Sequence[cst.BaseStatement], ctx: _Context
    ) -> list[cst.BaseStatement]:
        b_idx = [i for i, s in enumerate(base_stmts) if self.base_keys.full(s) is not None]
        e_idx = [i for i, s in enumerate(edit_stmts) if self.edited_keys.full(s) is not None]
        b_keys = [self.base_keys.full(base_stmts[i]) for i in b_idx]
        e_keys = [self.edited_keys.full(edit_stmts[i]) for i in e_idx]

        changes: list[list[int]] = []  # [b1, b2, e1, e2] in filtered index space
        descended: dict[int, cst.BaseStatement] = {}
        # Regions found here, keyed by where they stand, so that the list
        # ends up in source order whatever order they were found in.
        found: list[tuple[float, list[_PlannedRegion]]] = []
        matcher = difflib.SequenceMatcher(None, b_keys, e_keys, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if tag != "replace":
                changes.append([i1, i2, j1, j2])
                continue
            b_heads = [self.base_keys.header(base_stmts[b_idx[i]]) for i in range(i1, i2)]
            e_heads = [self.edited_keys.header(edit_stmts[e_idx[j]]) for j in range(j1, j2)]
            # `None` headers never match each other.
            b_heads = [h if h is not None else object() for h in b_heads]  # type: ignore[misc]
            e_heads = [h if h is not None else object() for h in e_heads]  # type: ignore[misc]
            inner = difflib.SequenceMatcher(None, b_heads, e_heads, autojunk=False)
            for tag2, a1, a2, c1, c2 in inner.get_opcodes():
                if tag2 != "equal":
                    changes.append([i1 + a1, i1 + a2, j1 + c1, j1 + c2])
                    continue
                for k in range(a2 - a1):
                    bi, ei = i1 + a1 + k, j1 + c1 + k
                    if b_keys[bi] == e_keys[ei]:
                        continue
                    before = len(self.regions)
                    new = self.descend(base_stmts[b_idx[bi]], edit_stmts[e_idx[ei]], ctx)
                    if new is None:
                        changes.append([bi, bi + 1, ei, ei + 1])
                    else:
                        descended[e_idx[ei]] = new
                        found.append((e_idx[ei], self.regions[before:]))
                        del self.regions[before:]

        # Adjacent changes make one region: the smallest run that changed.
        merged: list[list[int]] = []
        for change in sorted(changes, key=lambda c: (c[2], c[0])):
            if merged and merged[-1][1] == change[0] and merged[-1][3] == change[2]:
                merged[-1][1], merged[-1][3] = change[1], change[3]
            else:
                merged.append(list(change))

        replaced: dict[int, tuple[int, cst.BaseStatement]] = {}  # start -> (end, new)
        inserted: dict[int, list[cst.BaseStatement]] = {}  # before index -> statements
        for b1, b2, e1, e2 in merged:
            old = list(base_stmts[b_idx[b1] : b_idx[b2 - 1] + 1]) if b2 > b1 else []
            if e2 > e1:
                start, end = e_idx[e1], e_idx[e2 - 1] + 1
                new = list(edit_stmts[start:end])
                kind: RegionKind = "replace" if old else "add"
                replaced[start] = (end, self._if(new, old or None, negate=False))
                found.append((start, [_PlannedRegion(ctx, kind, old, new)]))
            else:
                at = e_idx[e1] if e1 < len(e_idx) else len(edit_stmts)
                inserted.setdefault(at, []).append(self._if(old, None, negate=True))
                found.append((at - 0.5, [_PlannedRegion(ctx, "remove", old)]))
        for _, regions in sorted(found, key=lambda item: item[0]):
            self.regions.extend(regions)

        result: list[cst.BaseStatement] = []
        i = 0
        while i <= len(edit_stmts):
            result.extend(inserted.get(i, ()))
            if i == len(edit_stmts):
                break
            if i in replaced:
                end, new_stmt = replaced[i]
                result.append(new_stmt)
                i = end
                continue
            result.append(descended.get(i, edit_stmts[i]))
            i += 1
        return result

    def _sub_block(self, base_body: cst.BaseSuite, edit_body: cst.BaseSuite, ctx: _Context) -> cst.BaseSuite | None:
        if not (isinstance(base_body, cst.IndentedBlock) and isinstance(edit_body, cst.IndentedBlock)):
            return None
        return edit_body.with_changes(body=self.block(base_body.body, edit_body.body, ctx))

    def _same(self, base_node: cst.CSTNode | None, edit_node: cst.CSTNode | None) -> bool:
        if base_node is None or edit_node is None:
            return base_node is None and edit_node is None
        return _suite_key(self.base_keys, base_node) == _suite_key(self.edited_keys, edit_node)

    def patched_test_id(self, test: cst.BaseExpression) -> str | None:
        """OLD when `test` is exactly `<binding>.patched("OLD")`."""
        if not (isinstance(test, cst.Call) and len(test.args) == 1):
            return None
        func = self.edited.code_for_node(test.func)
        if func != "patched" and not func.endswith(".patched"):
            return None
        arg = test.args[0].value
        if isinstance(arg, cst.SimpleString):
            value = arg.evaluated_value
            return value if isinstance(value, str) else None
        return None

    def descend(self, base_stmt: cst.BaseStatement, edit_stmt: cst.BaseStatement, ctx: _Context) -> cst.BaseStatement | None:
        """`edit_stmt` with its blocks diffed against `base_stmt`'s, or None
        when the statement has to be replaced whole. Headers are equal."""
        start = len(self.regions)
        new = self._descend(base_stmt, edit_stmt, ctx)
        if new is None:
            del self.regions[start:]
        return new

    def _descend(self, base_stmt, edit_stmt, ctx: _Context):
        if isinstance(base_stmt, cst.If) and isinstance(edit_stmt, cst.If):
            old_id = self.patched_test_id(edit_stmt.test)
            if old_id is not None:
                if not self._same(base_stmt.orelse, edit_stmt.orelse):
                    where = self._first_difference(base_stmt.orelse, edit_stmt.orelse) or edit_stmt
                    raise refuse(
                        self.line_of(self.edited, where),
                        f"the code taken when patched({old_id!r}) is false changed: executions that take it "
                        f"already ran it, and new ones never reach it; put the change in the patched branch",
                    )
                if self._same(base_stmt.body, edit_stmt.body):
                    return edit_stmt  # only what needs no patch changed in it
                # The older branches behave as base (checked above); they are
                # taken as edited so that its comments and log lines stay.
                head = edit_stmt.body
                if isinstance(head, cst.IndentedBlock) and head.header.comment is not None:
                    # A comment on the `if patched(OLD):` line speaks of OLD:
                    # it stays on that line, now the `elif`.
                    head = head.with_changes(header=cst.TrailingWhitespace())
                chain = edit_stmt.with_changes(
                    test=self.patched_call,
                    body=head,
                    orelse=base_stmt.with_changes(orelse=edit_stmt.orelse, leading_lines=()),
                )
                self.regions.append(_PlannedRegion(ctx, "chain", [base_stmt], [edit_stmt]))
                return chain
            test = edit_stmt.test
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                old_id = self.patched_test_id(test.expression)
                if old_id is not None and not self._same(base_stmt.body, edit_stmt.body):
                    raise refuse(
                        self.line_of(self.edited, self._first_difference(base_stmt.body, edit_stmt.body) or edit_stmt),
                        f"the code taken when patched({old_id!r}) is false changed: executions that take it "
                        f"already ran it, and new ones never reach it; put the change in new code instead",
                    )
            body = self._sub_block(base_stmt.body, edit_stmt.body, ctx)
            orelse = self._descend_orelse(base_stmt.orelse, edit_stmt.orelse, ctx)
            if body is None or orelse is False:
                return None
            return edit_stmt.with_changes(body=body, orelse=orelse)
        if isinstance(base_stmt, (cst.For, cst.While)) and type(base_stmt) is type(edit_stmt):
            body = self._sub_block(base_stmt.body, edit_stmt.body, _Context(ctx.class_name, ctx.function, True))
            orelse = self._descend_orelse(base_stmt.orelse, edit_stmt.orelse, ctx)
            if body is None or orelse is False:
                return None
            return edit_stmt.with_changes(body=body, orelse=orelse)
        if isinstance(base_stmt, cst.With) and isinstance(edit_stmt, cst.With):
            body = self._sub_block(base_stmt.body, edit_stmt.body, ctx)
            return None if body is None else edit_stmt.with_changes(body=body)
        if isinstance(base_stmt, cst.Try) and isinstance(edit_stmt, cst.Try):
            body = self._sub_block(base_stmt.body, edit_stmt.body, ctx)
            handlers = []
            for base_handler, edit_handler in zip(base_stmt.handlers, edit_stmt.handlers):
                handler_body = self._sub_block(base_handler.body, edit_handler.body, ctx)
                if handler_body is None:
                    return None
                handlers.append(edit_handler.with_changes(body=handler_body))
            orelse = self._descend_orelse(base_stmt.orelse, edit_stmt.orelse, ctx)
            final = edit_stmt.finalbody
            if base_stmt.finalbody is not None and edit_stmt.finalbody is not None:
                final_body = self._sub_block(base_stmt.finalbody.body, edit_stmt.finalbody.body, ctx)
                if final_body is None:
                    return None
                final = edit_stmt.finalbody.with_changes(body=final_body)
            if body is None or orelse is False:
                return None
            return edit_stmt.with_changes(body=body, handlers=handlers, orelse=orelse, finalbody=final)
        return None

    def _first_difference(self, base_node, edit_node) -> cst.CSTNode | None:
        """The first edited statement of an `orelse` that differs from base."""
        while isinstance(base_node, cst.If) and isinstance(edit_node, cst.If):
            if self.base_keys.expr(base_node.test) != self.edited_keys.expr(edit_node.test):
                return edit_node
            if _suite_key(self.base_keys, base_node.body) != _suite_key(self.edited_keys, edit_node.body):
                base_node, edit_node = base_node.body, edit_node.body
                break
            base_node, edit_node = base_node.orelse, edit_node.orelse
        if isinstance(base_node, cst.Else) and isinstance(edit_node, cst.Else):
            base_node, edit_node = base_node.body, edit_node.body
        if isinstance(base_node, cst.IndentedBlock) and isinstance(edit_node, cst.IndentedBlock):
            base_keys = [k for k in map(self.base_keys.full, base_node.body) if k is not None]
            edit_stmts = [s for s in edit_node.body if self.edited_keys.full(s) is not None]
            for index, stmt in enumerate(edit_stmts):
                if index >= len(base_keys) or self.edited_keys.full(stmt) != base_keys[index]:
                    return stmt
        return edit_node

    def _descend_orelse(self, base_orelse, edit_orelse, ctx: _Context):
        """The new `orelse`, or False when it cannot be diffed in place."""
        if base_orelse is None and edit_orelse is None:
            return None
        if isinstance(base_orelse, cst.Else) and isinstance(edit_orelse, cst.Else):
            body = self._sub_block(base_orelse.body, edit_orelse.body, ctx)
            return False if body is None else edit_orelse.with_changes(body=body)
        if isinstance(base_orelse, cst.If) and isinstance(edit_orelse, cst.If):
            if self.base_keys.expr(base_orelse.test) != self.edited_keys.expr(edit_orelse.test):
                return False
            if self._same(base_orelse, edit_orelse):
                return edit_orelse
            new = self._descend(base_orelse, edit_orelse, ctx)
            return False if new is None else new
        return False


def _suite_key(keys: _Keys, node: cst.CSTNode) -> str:
    """Behavioural key of a block, an `else:` or an `elif` chain."""
    if isinstance(node, cst.Else):
        node = node.body
    if isinstance(node, cst.BaseSuite):
        # Statement by statement: each renders from column 0, and a comment
        # on the block's header line stays out of the way.
        code = "\n".join(keys.module.code_for_node(stmt).strip("\r\n").lstrip() for stmt in node.body)
    else:
        code = keys.module.code_for_node(node).lstrip()
    tree = ast.parse(code)
    stripped = _strip_inert(tree)
    return _dump(stripped)


def _strip_inert(tree: ast.AST) -> ast.AST:
    class Strip(ast.NodeTransformer):
        def generic_visit(self, node):
            super().generic_visit(node)
            for name in ("body", "orelse", "finalbody"):
                stmts = getattr(node, name, None)
                if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                    kept = [s for s in stmts if not is_inert(s)]
                    setattr(node, name, kept or [ast.Pass()])
            return node

    return Strip().visit(tree)


def _comments_only(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    return [line for line in lines if line.comment is not None]


# --- the entry point ------------------------------------------------------


def _definitions(module: cst.Module, workflow_classes: set[str]) -> dict[str, tuple[str | None, cst.FunctionDef]]:
    """Module functions and methods of workflow classes, by qualified name, in
    source order."""
    found: dict[str, tuple[str | None, cst.FunctionDef]] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            found[stmt.name.value] = (None, stmt)
        elif isinstance(stmt, cst.ClassDef) and stmt.name.value in workflow_classes:
            if isinstance(stmt.body, cst.IndentedBlock):
                for member in stmt.body.body:
                    if isinstance(member, cst.FunctionDef):
                        found[f"{stmt.name.value}.{member.name.value}"] = (stmt.name.value, member)
    return found


def _ast_definitions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            for member in stmt.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{stmt.name}.{member.name}"] = member
    return found


def _names_used(trees: list[ast.AST]) -> tuple[set[str], set[str]]:
    """Names loaded, and `self.<attr>` attributes, in `trees`."""
    names: set[str] = set()
    attrs: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                attrs.add(node.attr)
    return names, attrs


def _assignments(body: list[ast.stmt]) -> dict[str, tuple[str, int]]:
    """Name -> (value dump, line) of the plain assignments in a body."""
    found: dict[str, tuple[str, int]] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = (_dump(value), stmt.lineno)
    return found


def _refuse_changed_constants(base_tree: ast.Module, edited_tree: ast.Module, base_code: WorkflowCode,
                              pinned: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """A value workflow code reads from the module or its class changed: no
    statement of the workflow changed, so there is nothing to wrap, yet old
    executions would run with the new value. Code only `pinned` classes run
    does not count: their executions keep the build that started them."""
    functions = [fn for fn in base_code.functions.values()
                 if fn.runs_in_workflow and not _pinned_only(fn.owners, pinned)]
    # What workflow code reads is walked only once a value has changed:
    # most edits change none, and a module may hold thousands of classes.
    module_reads: set[str] | None = None
    base_module = _assignments(base_tree.body)
    for name, (value, line) in _assignments(edited_tree.body).items():
        if not (name in base_module and base_module[name][0] != value):
            continue
        if module_reads is None:
            module_reads = {n.id for fn in functions for n in ast.walk(fn.node) if isinstance(n, ast.Name)}
        if name in module_reads:
            raise refuse(
                line,
                f"{name} changed and workflow code reads it: a patch cannot wrap a module-level value; "
                f"keep {name} and add the new value under a new name used inside the patched code",
            )
    edited_classes = {s.name: s for s in edited_tree.body if isinstance(s, ast.ClassDef)}
    # Grouped once: scanning every function for each class is quadratic in
    # a module of thousands of classes.
    by_class: dict[str, list] = {}
    for fn in functions:
        if fn.class_name is not None:
            by_class.setdefault(fn.class_name, []).append(fn)
    for class_name, class_node in base_code.classes.items():
        edited_class = edited_classes.get(class_name)
        if edited_class is None or class_name in pinned:
            continue
        reads: set[str] | None = None
        base_class = _assignments(class_node.body)
        for name, (value, line) in _assignments(edited_class.body).items():
            if not (name in base_class and base_class[name][0] != value):
                continue
            if reads is None:
                reads = {
                    n.attr
                    for fn in by_class.get(class_name, ())
                    for n in ast.walk(fn.node)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id in ("self", "cls", class_name)
                }
            if name in reads:
                raise refuse(
                    line,
                    f"{class_name}.{name} changed and workflow code reads it: a patch cannot wrap a class attribute; "
                    f"keep {name} and add the new value under a new name used inside the patched code",
                )


def _pinned_only(owners: Sequence[str], pinned: set[str]) -> bool:
    """Code that only pinned workflow classes run (Worker Versioning keeps
    their executions on the build that started them: no patch needed)."""
    return bool(owners) and set(owners) <= pinned


def _is_patch_test(node: ast.expr, patch_id: str) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        node = node.operand
    return (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == patch_id
    )


def _active_ids(node: ast.AST, bindings) -> set[str]:
    ids = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and bindings.member(child.func) == "patched" and child.args:
            arg = child.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                ids.add(arg.value)
    return ids


def _inner_class_names(tree: ast.Module):
    """Names of the classes defined anywhere but at the top of the module,
    outside functions (what _Apply reaches): statements only, so cheap."""
    blocks = (ast.stmt, ast.excepthandler, ast.match_case)
    stack: list[ast.AST] = []
    for top in tree.body:
        if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(child for child in ast.iter_child_nodes(top) if isinstance(child, blocks))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.ClassDef):
            yield node.name
        stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, blocks))


class _Apply(cst.CSTTransformer):
    def __init__(self, bodies: dict[int, cst.IndentedBlock], entries: dict[str, str], module: cst.Module,
                 descend: set[str] | None = None):
        self.bodies = bodies
        self.entries = entries
        self.module = module
        # Names of the classes whose insides can change; None: every class.
        self.descend = descend

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        # Rebuilding the thousands of classes an edit did not touch costs
        # more than the rest of the rewrite; leave_ClassDef still runs.
        return self.descend is None or node.name.value in self.descend

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nothing to rewrite inside: bodies are swapped whole

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        body = self.bodies.get(id(original_node))
        return updated_node if body is None else updated_node.with_changes(body=body)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        entry = self.entries.get(original_node.name.value)
        if entry is None:
            return updated_node
        body = updated_node.body
        indent = body.indent if isinstance(body, cst.IndentedBlock) and body.indent is not None else None
        return add_history_line(
            updated_node,
            entry,
            indent=indent if indent is not None else self.module.default_indent,
            newline=self.module.default_newline,
        )


def _reimport(module: cst.Module, base_tree: ast.Module, stmt: ast.Import | ast.ImportFrom, name: str) -> cst.Module:
    """Bring back the import of `name` that the edit dropped, where base had it:
    inside the same module-level `with` block (activities are imported under
    `workflow.unsafe.imports_passed_through()`), or at the top."""
    alias = next(a for a in stmt.names if (a.asname or a.name.split(".")[0]) == name)
    if isinstance(stmt, ast.ImportFrom):
        line = f"from {'.' * stmt.level}{stmt.module or ''} import {alias.name}"
    else:
        line = f"import {alias.name}"
    if alias.asname:
        line += f" as {alias.asname}"

    holder = next(
        (w for w in base_tree.body if isinstance(w, ast.With) and any(s is stmt for s in w.body)),
        None,
    )
    if holder is not None:
        header = [ast.dump(item) for item in holder.items]
        for index, top in enumerate(module.body):
            if not (isinstance(top, cst.With) and isinstance(top.body, cst.IndentedBlock)):
                continue
            parsed = ast.parse(module.code_for_node(top).lstrip()).body[0]
            if isinstance(parsed, ast.With) and [ast.dump(i) for i in parsed.items] == header:
                new_line = cst.parse_statement(line + module.default_newline, config=module.config_for_parsing)
                block = top.body.with_changes(body=[*top.body.body, new_line])
                return module.with_changes(body=[*module.body[:index], top.with_changes(body=block), *module.body[index + 1 :]])

    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    if isinstance(stmt, ast.ImportFrom):
        AddImportsVisitor.add_needed_import(context, stmt.module or "", alias.name, alias.asname, relative=stmt.level)
    else:
        AddImportsVisitor.add_needed_import(context, alias.name, asname=alias.asname)
    return AddImportsVisitor(context).transform_module(module)


def _add_import(module: cst.Module, from_module: str, name: str) -> cst.Module:
    """`from <from_module> import <name>` added where libcst's AddImportsVisitor
    puts it. Imported here, not at the top: libcst.codemod loads
    libcst.matchers (about half a second), and most introductions add no
    import."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, from_module, name)
    return AddImportsVisitor(context).transform_module(module)


def introduce_patch(
    base: str,
    edited: str,
    patch_id: str,
    *,
    date: datetime.date,
    max_active_patches: int = 3,
) -> IntroduceResult:
    reason = invalid_reason(patch_id)
    if reason is not None:
        raise refuse(1, reason)
    _, base = split_bom(base)
    bom, edited = split_bom(edited)
    with paused_gc():
        result = _introduce(base, edited, patch_id, date=date, max_active_patches=max_active_patches)
    result.code = bom + result.code
    return result


def _introduce(base: str, edited: str, patch_id: str, *, date: datetime.date, max_active_patches: int) -> IntroduceResult:
    base_tree = parse_python(base, "base")
    edited_tree = parse_python(edited, "edited")
    for tree, text, side in ((edited_tree, edited, "edited"), (base_tree, base, "base")):
        in_code = patch_ids_in(tree)
        if patch_id in in_code:
            raise refuse(in_code[patch_id], f"patch id {patch_id!r} is already in the code; an id is used once, ever", side)  # type: ignore[arg-type]
        if patch_id in history_ids(text):
            line = next(n for n, t in enumerate(text.splitlines(), 1) if patch_id in t and "-" in t)
            raise refuse(line, f"patch id {patch_id!r} is already in a Versioning History; an id is used once, ever", side)  # type: ignore[arg-type]

    base_code = find_workflow_code(base_tree)
    edited_code = find_workflow_code(edited_tree)
    if not base_code.classes and not edited_code.classes:
        return IntroduceResult(code=edited)
    try:
        base_module = cst.parse_module(base)
        edited_module = cst.parse_module(edited)
    except cst.ParserSyntaxError as error:  # ast accepted it: a grammar libcst lacks
        raise refuse(error.raw_line, f"libcst cannot parse this file: {error.message}") from None

    bindings = edited_code.bindings
    spelling = bindings.name_for("patched")
    add_workflow_import = spelling is None
    if spelling is None:
        spelling = "workflow.patched"
    rewriter = _Rewriter(base_module, edited_module, f'{spelling}("{patch_id}")')

    base_defs = _definitions(base_module, set(base_code.classes))
    edited_defs = _definitions(edited_module, set(edited_code.classes))
    base_asts = _ast_definitions(base_tree)
    edited_asts = _ast_definitions(edited_tree)

    # Worker Versioning keeps a pinned workflow's executions on the build that
    # started them: its code is never wrapped (judged by base, the code those
    # executions run).
    pinned = {name for name, cls in base_code.classes.items() if is_pinned(cls, base_code.bindings)}
    pinned_changed: dict[str, None] = {}

    for qualname, fn in base_code.functions.items():
        if _pinned_only(fn.owners, pinned) or fn.class_name in pinned:
            continue
        if fn.role in ("run", "signal", "update") and qualname not in edited_defs:
            raise refuse(
                fn.node.lineno,
                f"{fn.role} handler {qualname}() was removed: old executions may still call it; "
                "keep it (a patch cannot bring back a handler)",
                "base",
            )

    _refuse_changed_constants(base_tree, edited_tree, base_code, pinned)

    # Lines as ast numbers them (`str.splitlines` also breaks at \f, \x1c, \u2028...).
    base_lines = re.split(r"\r\n|\r|\n", base)
    edited_lines = re.split(r"\r\n|\r|\n", edited)

    def same_text(base_node: ast.stmt, edit_node: ast.stmt) -> bool:
        """The def line through the last line of the body read the same: then
        every statement of the body has the same key on both sides, and
        diffing it finds nothing (cheap; most functions of a module did not
        change)."""
        if base_node.end_lineno is None or edit_node.end_lineno is None:
            return False
        if base_node.end_lineno - base_node.lineno != edit_node.end_lineno - edit_node.lineno:
            return False
        return (base_lines[base_node.lineno - 1 : base_node.end_lineno]
                == edited_lines[edit_node.lineno - 1 : edit_node.end_lineno])

    bodies: dict[int, cst.IndentedBlock] = {}
    for qualname, (class_name, edit_def) in edited_defs.items():
        base_fn = base_code.functions.get(qualname)
        if base_fn is None or not base_fn.runs_in_workflow or qualname not in base_defs:
            continue  # new code, or code no old execution runs
        base_def = base_defs[qualname][1]
        edit_node = edited_asts[qualname]
        unchanged_body = same_text(base_asts[qualname], edit_node)
        if _pinned_only(base_fn.owners, pinned):
            if header_key(base_asts[qualname]) != header_key(edit_node) or not unchanged_body and (
                _suite_key(rewriter.base_keys, base_def.body) != _suite_key(rewriter.edited_keys, edit_def.body)
            ):
                pinned_changed.update(dict.fromkeys(sorted(base_fn.owners)))
            continue
        if header_key(base_asts[qualname]) != header_key(edit_node):
            raise refuse(
                edit_node.lineno,
                f"the def line of {qualname}() changed (name, arguments or decorators): "
                "a patch can only wrap statements; keep the old signature",
            )
        if unchanged_body:
            continue  # no statement changed: nothing to wrap
        start = len(rewriter.regions)
        ctx = _Context(class_name, edit_def.name.value)
        new_body = rewriter._sub_block(base_def.body, edit_def.body, ctx)
        if new_body is None:
            if _suite_key(rewriter.base_keys, base_def.body) != _suite_key(rewriter.edited_keys, edit_def.body):
                raise refuse(edit_node.lineno, f"{qualname}() has a one-line body: put its body on lines of its own to patch it")
            continue
        if len(rewriter.regions) == start:
            continue
        edit_fn = edited_code.functions.get(qualname)
        if base_fn.read_only or (edit_fn is not None and edit_fn.read_only):
            first = next((r.new[0] for r in rewriter.regions[start:] if r.new), None)
            raise refuse(
                rewriter.line_of(edited_module, first) if first is not None else edit_node.lineno,
                f"{qualname}() changed and is called from a query handler or update validator, "
                "where workflow.patched cannot run; change a copy used only by the workflow",
            )
        bodies[id(edit_def)] = new_body  # type: ignore[assignment]

    notes = [
        Finding((edited_code.classes.get(name) or base_code.classes[name]).lineno, pinned_note(name))
        for name in pinned_changed
    ]
    if not rewriter.regions:
        return IntroduceResult(code=edited, notes=notes)

    # The old branches must still run in the result.
    old_statements = [stmt for region in rewriter.regions for stmt in region.old]
    old_trees = [rewriter.base_keys.tree(stmt) for stmt in old_statements]
    used, self_attrs = _names_used(old_trees)
    base_names = module_level_names(base_tree)
    edited_names = module_level_names(edited_tree)
    reimports: list[tuple[str, ast.Import | ast.ImportFrom]] = []
    for name in sorted(used):
        if name in base_names and name not in edited_names:
            binding = base_names[name]
            if isinstance(binding, (ast.Import, ast.ImportFrom)):
                reimports.append((name, binding))
            else:
                raise refuse(
                    rewriter.first_use(old_statements, lambda node, name=name: isinstance(node, ast.Name) and node.id == name),
                    f"the old code uses {name}, which the edit removed; keep {name} so that old executions still run",
                    "base",
                )
    for region in rewriter.regions:
        if region.context.class_name is None:
            continue
        base_methods = base_code.methods_of(region.context.class_name)
        edited_methods = edited_code.methods_of(region.context.class_name)
        for attr in sorted(self_attrs):
            if attr in base_methods and attr not in edited_methods:
                raise refuse(
                    rewriter.first_use(
                        old_statements,
                        lambda node, attr=attr: isinstance(node, ast.Attribute)
                        and node.attr == attr
                        and isinstance(node.value, ast.Name)
                        and node.value.id == "self",
                    ),
                    f"the old code calls self.{attr}(), which the edit removed; keep it so that old executions still run",
                    "base",
                )

    touched: dict[str, list[str]] = {}
    for region in rewriter.regions:
        ctx = region.context
        owners = [ctx.class_name] if ctx.class_name else base_code.functions[ctx.function].owners
        for owner in owners:
            names = touched.setdefault(owner, [])
            if ctx.function not in names:
                names.append(ctx.function)
    entries = {name: history_entry(date, "introduced", patch_id, where) for name, where in touched.items()}

    # Classes to descend into: those that get a history line or a new body,
    # unless a class nested somewhere bears one of those names (then all).
    descend: set[str] | None = set(entries) | {
        class_name for class_name, edit_def in edited_defs.values() if class_name is not None and id(edit_def) in bodies
    }
    if any(name in descend for name in _inner_class_names(edited_tree)):
        descend = None
    module = edited_module.visit(_Apply(bodies, entries, edited_module, descend))
    for name, binding in reimports:
        module = _reimport(module, base_tree, binding, name)
    if add_workflow_import:
        module = _add_import(module, "temporalio", "workflow")

    code = module.code
    try:
        result_tree = ast.parse(code)
    except SyntaxError as error:  # a bug here must never reach a user's file
        raise refuse(error.lineno or 1, f"internal error: the rewrite does not parse ({error.msg}); nothing written") from None

    tests = sorted(
        (node for node in ast.walk(result_tree) if isinstance(node, ast.If) and _is_patch_test(node.test, patch_id)),
        key=lambda node: node.lineno,
    )
    if len(tests) != len(rewriter.regions):
        raise refuse(1, "internal error: regions and rewritten code disagree; nothing written")
    regions = [
        Region(r.context.class_name, r.context.function, node.lineno, node.end_lineno or node.lineno, r.kind, r.context.in_loop)
        for r, node in zip(rewriter.regions, tests)
    ]

    warnings: list[Finding] = []
    for region in regions:
        if region.in_loop:
            warnings.append(
                Finding(
                    region.start_line,
                    f"patch {patch_id!r} lands inside a loop in {region.function}(): "
                    "every iteration asks the same question; prefer wrapping the whole loop",
                )
            )
    result_code = find_workflow_code(result_tree)
    for class_name in touched:
        class_node = result_code.classes.get(class_name)
        if class_node is None:
            continue
        active = _active_ids(class_node, result_code.bindings)
        for fn in result_code.functions.values():
            if fn.class_name is None and class_name in fn.owners:
                active |= _active_ids(fn.node, result_code.bindings)
        if len(active) > max_active_patches:
            warnings.append(
                Finding(
                    class_node.lineno,
                    f"{class_name} has {len(active)} active patches (limit {max_active_patches}): "
                    "deprecate the oldest once no execution needs them",
                )
            )
    return IntroduceResult(code=code, regions=regions, warnings=warnings, classes=list(touched), notes=notes)
