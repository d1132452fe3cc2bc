"""Finding `patched(ID)` / `deprecate_patch(ID)` calls in libcst trees.

Shared by deprecate and remove: both learn once, from the module's imports,
how `temporalio.workflow` is spelled, and then recognise calls by shape.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from .workflow_code import Bindings


def dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        owner = dotted(node.value)
        return None if owner is None else f"{owner}.{node.attr.value}"
    return None


@dataclass(frozen=True)
class Spelling:
    """How one module names the members of temporalio.workflow."""

    bindings: Bindings

    def member(self, func: cst.BaseExpression) -> str | None:
        name = dotted(func)
        if name is None:
            return None
        if name in self.bindings.members:
            return self.bindings.members[name]
        owner, _, attr = name.rpartition(".")
        return attr if owner in self.bindings.module_names else None

    def call_id(self, node: cst.CSTNode, member: str) -> str | None:
        """ID when `node` is `<member>("ID")` under this module's names."""
        if not (isinstance(node, cst.Call) and node.args and self.member(node.func) == member):
            return None
        arg = node.args[0].value
        if isinstance(arg, cst.SimpleString):
            value = arg.evaluated_value
            return value if isinstance(value, str) else None
        return None


def might_hold(source: str, patch_ids: list[str]) -> bool:
    """The cheap test before any parse: a file that never spells an id
    cannot hold a site of it."""
    return any(patch_id in source for patch_id in patch_ids)


def literal_sites(tree: ast.Module, member: str, patch_ids: set[str]) -> list[tuple[str, int]]:
    """(id, line) of every `...<member>("ID")` call in an `ast` tree, whatever
    the spelling: what a refusal lists."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        arg = node.args[0]
        if name == member and isinstance(arg, ast.Constant) and arg.value in patch_ids:
            found.append((arg.value, node.lineno))
    return sorted(found, key=lambda item: item[1])



class ByNode(dict):
    """A map keyed by node identity that keeps its nodes alive.

    libcst rebuilds nodes freely and compares them by identity; a bare
    `id(node)` key outlives its node, and CPython hands the id to the next
    node made, so a lookup could then hit a node that was never added."""

    def __setitem__(self, node, value) -> None:
        super().__setitem__(id(node), (node, value))

    def __getitem__(self, node):
        return super().__getitem__(id(node))[1]

    def __contains__(self, node) -> bool:
        return super().__contains__(id(node))

    def get(self, node, default=None):
        item = super().get(id(node))
        return default if item is None else item[1]

    def pop(self, node, *default):
        if id(node) in self.keys():
            return super().pop(id(node))[1]
        if default:
            return default[0]
        raise KeyError(node)

    def add(self, node) -> None:
        self[node] = True

    def values(self):
        return [value for _, value in super().values()]

    def nodes(self):
        return [node for node, _ in super().values()]


# Fields that hold only whitespace, comments and punctuation: no call.
_LAYOUT_FIELDS = frozenset({"lpar", "rpar", "leading_lines", "lines_after_decorator", "header", "footer",
                            "comma", "semicolon", "newline", "trailing_whitespace"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def holding(module: cst.Module, is_site: Callable[[cst.CSTNode], bool],
            holders: set[str] | None = None) -> tuple[set[int], int]:
    """(ids of the sites and of every node that holds one, how many sites),
    by a plain walk over the fields of each node (several times as fast as
    a libcst visit, which rebuilds every node), skipping layout and, when
    `holders` is given, the functions and classes it does not name."""
    hot: set[int] = set()
    found = 0
    path: list[int] = []
    stack: list[tuple[cst.CSTNode, int]] = [(module, 0)]
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(id(node))
        if holders is not None and isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value not in holders:
            continue
        if is_site(node):
            found += 1
            hot.update(path)
        names = _CHILD_FIELDS.get(node.__class__)
        if names is None:
            names = _CHILD_FIELDS[node.__class__] = tuple(
                f.name for f in dataclasses.fields(node) if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace")
            )
        depth += 1
        for name in names:
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                stack.append((value, depth))
            elif isinstance(value, (list, tuple)):
                stack.extend((item, depth) for item in value if isinstance(item, cst.CSTNode))
    return hot, found
