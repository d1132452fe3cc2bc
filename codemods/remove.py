"""remove: strip the `deprecate_patch(ID)` statements of retired patches.

Refused while any `patched(ID)` of those ids is left: the patched branch has
to become the only code first (deprecate), or old executions lose their path.
A comment above a removed call stays, above the statement that followed it;
a block left empty gets `pass`.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence

import libcst as cst

from .findings import Finding, Refusal
from .patch_sites import ByNode, Spelling, holding, literal_sites, might_hold
from .retire import (
    RetireResult,
    SiteChange,
    add_history,
    checked,
    names_left_unused,
    owners_of,
    remove_imports_of,
    rewrite_focused,
)
from .source import parse_python, split_bom
from .workflow_code import find_workflow_code


class _Remove(cst.CSTTransformer):
    def __init__(self, patch_ids: set[str], spelling: Spelling, lines: list[int], hot: set[int]):
        self.patch_ids = patch_ids
        self.spelling = spelling
        self.lines = iter(lines)  # lines of the deprecate_patch sites, in source order
        self.hot = hot  # ids of the site calls and every node that holds one
        self.sites: list[SiteChange] = []
        self.problems: list[Finding] = []
        self.scope: list[tuple[str, str]] = []
        self.site_lines = ByNode()  # updated call -> line
        self._pending_line = 0

    # Only the nodes that hold a site are walked and rebuilt: elsewhere no
    # hook changes anything, so a subtree without a site is kept as it is.
    # Classes and functions still enter and leave the scope.
    def on_visit(self, node: cst.CSTNode) -> bool:
        return super().on_visit(node) and id(node) in self.hot

    def on_leave(self, original_node, updated_node):
        if id(original_node) in self.hot or isinstance(original_node, (cst.ClassDef, cst.FunctionDef)):
            return super().on_leave(original_node, updated_node)
        return updated_node

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

    def _where(self) -> tuple[str | None, str | None]:
        class_name = self.scope[0][1] if self.scope and self.scope[0][0] == "class" else None
        defs = [name for kind, name in self.scope if kind == "def"]
        return class_name, (defs[0] if defs else None)

    def visit_Call(self, node: cst.Call) -> None:
        if self.spelling.call_id(node, "deprecate_patch") in self.patch_ids:
            self._pending_line = next(self.lines, 0)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.spelling.call_id(original_node, "deprecate_patch") in self.patch_ids:
            self.site_lines[updated_node] = self._pending_line
        return updated_node

    def _is_site(self, small: cst.BaseSmallStatement) -> bool:
        return isinstance(small, cst.Expr) and self.spelling.call_id(small.value, "deprecate_patch") in self.patch_ids

    def _record(self, small: cst.Expr) -> None:
        patch_id = self.spelling.call_id(small.value, "deprecate_patch")
        class_name, function = self._where()
        line = self.site_lines.get(small.value, 0)
        self.sites.append(SiteChange(patch_id or "", line, class_name, function, "call"))

    def _without_sites(self, smalls: Sequence[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
        """The statements of one line that are not sites (those are recorded),
        the last one without its semicolon; `pass` when none is left."""
        kept = []
        for small in smalls:
            if self._is_site(small):
                self._record(small)
            else:
                kept.append(small)
        kept = kept or [cst.Pass()]
        kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return kept

    def leave_SimpleStatementLine(self, original_node, updated_node):
        sites = sum(1 for small in updated_node.body if self._is_site(small))
        if not sites or sites == len(updated_node.body):
            return updated_node  # a line of sites only is dropped by its block
        return updated_node.with_changes(body=self._without_sites(updated_node.body))

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        # `if x: workflow.deprecate_patch(ID); a()`, the body on the header
        # line: only the call goes; a body of calls only becomes `pass`.
        if not any(self._is_site(small) for small in updated_node.body):
            return updated_node
        return updated_node.with_changes(body=self._without_sites(updated_node.body))

    def _block(self, statements: Sequence[cst.BaseStatement]) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """Drop the lines that only held a site. What stood above one (its
        comments and blank lines) stays, above the next statement or, at the
        end of the block, returned to close it."""
        result: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for stmt in statements:
            if isinstance(stmt, cst.SimpleStatementLine) and all(self._is_site(s) for s in stmt.body):
                for small in stmt.body:
                    self._record(small)
                carried.extend(stmt.leading_lines)
                continue
            if carried:
                stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
                carried = []
            result.append(stmt)
        return result, carried

    def leave_IndentedBlock(self, original_node, updated_node):
        body, closing = self._block(updated_node.body)
        if len(body) == len(updated_node.body):
            return updated_node
        if not body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=closing)])
        return updated_node.with_changes(body=body, footer=[*closing, *updated_node.footer])

    def leave_Module(self, original_node, updated_node):
        body, closing = self._block(updated_node.body)
        if len(body) == len(updated_node.body):
            return updated_node
        return updated_node.with_changes(body=body, footer=[*closing, *updated_node.footer])


def remove_patches(source: str, patch_ids: Sequence[str], *, date: datetime.date) -> RetireResult:
    """`source` without the `deprecate_patch(ID)` calls of `patch_ids`.

    Raises Refusal while a `patched(ID)` of one of them is left, or where a
    `deprecate_patch(ID)` is not a statement of its own."""
    bom, body = split_bom(source)
    result = rewrite_focused(body, patch_ids, lambda text: _remove_patches(text, patch_ids, date=date))
    result.code = bom + result.code
    return result


def _remove_patches(source: str, patch_ids: Sequence[str], *, date: datetime.date) -> RetireResult:
    ids = set(patch_ids)
    if not might_hold(source, list(ids)):
        return RetireResult(code=source)
    tree = parse_python(source)
    still_patched = literal_sites(tree, "patched", ids)
    if still_patched:
        raise Refusal([
            Finding(line, f"patched({patch_id!r}) is still here: deprecate it first (patchmod deprecate {patch_id})")
            for patch_id, line in still_patched
        ])
    code_map = find_workflow_code(tree)
    bindings = code_map.bindings
    if bindings.name_for("deprecate_patch") is None:
        return RetireResult(code=source)
    spelling = Spelling(bindings)
    lines = [line for _, line in literal_sites(tree, "deprecate_patch", ids)]
    if not lines:
        return RetireResult(code=source)
    module = cst.parse_module(source)
    hot, _ = holding(module, lambda node: spelling.call_id(node, "deprecate_patch") in ids)
    transform = _Remove(ids, spelling, lines, hot)
    new_module = module.visit(transform)
    if len(transform.sites) != len(lines):
        removed = {site.line for site in transform.sites}
        raise Refusal([
            Finding(line, "deprecate_patch() is used inside an expression here; make it a statement of its own")
            for line in lines
            if line not in removed
        ])
    removed = Counter({local: len(transform.sites) for local, member in bindings.members.items() if member == "deprecate_patch"})
    removed.update({name.split(".")[0]: len(transform.sites) for name in bindings.module_names})
    new_module = remove_imports_of(new_module, names_left_unused(tree, removed))
    touched = owners_of(transform.sites, code_map)
    new_module = add_history(new_module, touched, "removed", date)
    code = new_module.code
    checked(code)
    sites = sorted(transform.sites, key=lambda site: site.line)
    return RetireResult(code=code, sites=sites, classes=list(touched))
