"""Hypothesis strategies: realistic workflow modules and random edits to them.

A module is built as a small tree (`Module` of functions, each a list of
`Leaf` and `Compound` statements) and rendered to source text, so that an
edit can be made at any depth and base and edited render alike everywhere
else. Every source these strategies give parses.

What a module holds (each part optional where it says so):

- a module docstring; `from contextlib import suppress`, `from datetime
  import timedelta`; `from temporalio import workflow` (or `... as wf`, or
  with `from temporalio.workflow import patched` as well); the activities
  `act_1`..`act_6` imported from `activities` at the top or inside
  `with workflow.unsafe.imports_passed_through():`, either all of them or
  only those the code uses (then an edit can stop importing one);
- an optional module-level `async def shared_step(x)` that workflow code
  calls;
- one `@workflow.defn` class with an optional docstring (one line, several
  lines, or one that already holds a `Versioning History:` section),
  `__init__`, `@workflow.run async def run(self, x)`, and optionally a signal
  handler, a helper method and a query handler;
- statements drawn from a pool (activity calls on one line or three, sleeps,
  assignments, logging, `return`, `wait_condition`, a semicolon line, `pass`)
  and blocks nesting them (`if`/`elif`/`else`, `for`, `while`,
  `try`/`except`/`finally`, `with`), with leading comments, blank lines,
  trailing comments and comments closing a block; a clause whose body is one
  short statement is sometimes written on one line (`if x > 1: a()`);
- 4-space indents, or tabs; LF line endings, or CRLF; optionally a
  docstring first in `run`;
- optionally existing patches: `if patched("old-vK"): ... else: ...`,
  if-only, `if not patched(...)` (with or without `else`), chains newest
  first, a site inside a condition (`patched(..) and x > N`, `x > N and
  patched(..)`, and the same with `or`), in a conditional expression or
  assigned (`flag = patched(..)`), and `deprecate_patch("gone-vK")`
  statements (alone on their line, or before another statement after a
  semicolon); a patched line may end in a comment.

Edits (`edits`): insert, delete, replace, move a statement, change a number
in one (a timeout, a sleep), change a block header (a loop's range, a
condition), wrap a run of statements in a new block, unwrap a block, add a
comment or blank line, change a log message. Any block can be chosen,
including the branches of existing patches (an edit to the branch an old
patch runs when false is refused by introduce; such blocks are picked less
often so that most examples are rewrites).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from hypothesis import strategies as st

NEW_ID = "fuzz-change-v1"
OTHER_ID = "fuzz-again-v1"
OLD_IDS = ("old-v1", "old-v2", "old-v3")  # ids with live `patched` sites
GONE_IDS = ("gone-v1", "gone-v2")  # ids already deprecated
ACTIVITIES = tuple(f"act_{i}" for i in range(1, 7))
INDENT = "    "


# --- the tree -----------------------------------------------------------------


@dataclass
class Leaf:
    """A simple statement: `lines` are templates (`{W}` the workflow module's
    name, `{P}` the `patched` spelling, `{n}`/`{a}`/`{k}` the parameters)."""

    lines: list[str]
    params: dict[str, int] = field(default_factory=dict)
    pre: list[str] = field(default_factory=list)  # "" a blank line, else a comment
    trailing: str = ""  # "  # ..." after the last line
    kind: str = "simple"  # simple | comment (a lone comment line) | deprecate | site


@dataclass
class Clause:
    header: str  # template, with the colon
    body: list[Node]
    params: dict[str, int] = field(default_factory=dict)
    # plain; patch-new: the true branch of the newest patch test;
    # patch-old: code an old patch runs when false (introduce refuses edits there)
    role: str = "plain"
    trailing: str = ""
    # On the header's line (`if x > 1: a()`) when the body is one simple
    # one-line statement without comments; as a block otherwise.
    inline: bool = False

    def is_inline(self) -> bool:
        body = self.body
        return (
            self.inline
            and not self.trailing
            and len(body) == 1
            and isinstance(body[0], Leaf)
            and body[0].kind != "comment"
            and len(body[0].lines) == 1
            and not body[0].pre
        )


@dataclass
class Compound:
    kind: str  # if | for | while | try | with | patched | patched-not | chain | site-if
    clauses: list[Clause]
    pre: list[str] = field(default_factory=list)


Node = Leaf | Compound


@dataclass
class Function:
    name: str
    header: list[str]  # decorator lines and the def line, at class or module level
    body: list[Node]
    role: str  # run | signal | helper | init | query | shared
    in_class: bool = True


@dataclass
class Module:
    binding: str  # workflow | wf | bare (workflow, plus `patched` imported by name)
    imports_at_top: bool
    import_used_only: bool
    module_docstring: bool
    class_docstring: str  # none | one | multi | history
    history_ids: list[str]
    functions: list[Function]
    indent: str = INDENT  # or a tab
    newline: str = "\n"  # or CRLF

    @property
    def w(self) -> str:
        return "wf" if self.binding == "wf" else "workflow"

    @property
    def p(self) -> str:
        return "patched" if self.binding == "bare" else f"{self.w}.patched"


# --- rendering ------------------------------------------------------------------


def _fmt(template: str, params: dict[str, int], module: Module) -> str:
    return template.format(W=module.w, P=module.p, **params)


def _real(nodes: list[Node]) -> bool:
    return any(not (isinstance(n, Leaf) and n.kind == "comment") for n in nodes)


def _render_pre(pre: list[str], indent: str, out: list[str]) -> None:
    for line in pre:
        out.append("" if line == "" else indent + line)


def render_block(nodes: list[Node], indent: str, module: Module, out: list[str]) -> None:
    if not _real(nodes):
        # A block of comments only: a statement has to stand somewhere.
        nodes = [Leaf(["pass"]), *nodes]
    for node in nodes:
        _render_pre(node.pre, indent, out)
        if isinstance(node, Leaf):
            lines = [_fmt(line, node.params, module) for line in node.lines]
            for position, line in enumerate(lines):
                out.append(indent + line + (node.trailing if position == len(lines) - 1 else ""))
        else:
            for clause in node.clauses:
                header = indent + _fmt(clause.header, clause.params, module)
                if clause.is_inline():
                    leaf = clause.body[0]
                    out.append(header + " " + _fmt(leaf.lines[0], leaf.params, module) + leaf.trailing)
                    continue
                out.append(header + clause.trailing)
                render_block(clause.body, indent + module.indent, module, out)


def _used_activities(module: Module) -> list[str]:
    text = "\n".join(_render_functions(module))
    return [a for a in ACTIVITIES if re.search(rf"\b{a}\b", text)]


def _render_functions(module: Module) -> list[str]:
    out: list[str] = []
    for fn in module.functions:
        if fn.in_class:
            continue
        out += ["", ""]
        out += [_fmt(line, {}, module) for line in fn.header]
        render_block(fn.body, module.indent, module, out)
    class_lines = ["", "", f"@{module.w}.defn", "class OrderWorkflow:"]
    doc = _class_docstring(module)
    class_lines += doc
    first = True
    for fn in module.functions:
        if not fn.in_class:
            continue
        if not first or doc:
            class_lines.append("")
        first = False
        class_lines += [module.indent + _fmt(line, {}, module) for line in fn.header]
        render_block(fn.body, module.indent * 2, module, class_lines)
    return out + class_lines


def _class_docstring(module: Module) -> list[str]:
    INDENT = module.indent
    kind = module.class_docstring
    if kind == "none":
        return []
    if kind == "one":
        return [f'{INDENT}"""Charges and ships one order."""']
    lines = [f'{INDENT}"""Charges and ships one order.', "", f"{INDENT}Runs until the order is done."]
    if kind == "history":
        lines += ["", f"{INDENT}Versioning History:"]
        lines += [f"{INDENT}- 2025-0{i + 1}-02 introduced {pid}: run" for i, pid in enumerate(module.history_ids)]
    return lines + [f'{INDENT}"""']


def render(module: Module) -> str:
    out: list[str] = []
    if module.module_docstring:
        out += ['"""Order workflows."""', ""]
    out += ["from contextlib import suppress", "from datetime import timedelta", ""]
    out.append("from temporalio import workflow as wf" if module.binding == "wf" else "from temporalio import workflow")
    if module.binding == "bare":
        out.append("from temporalio.workflow import patched")
    acts = _used_activities(module) if module.import_used_only else list(ACTIVITIES)
    if acts:
        line = "from activities import " + ", ".join(acts)
        if module.imports_at_top:
            out.append(line)
        else:
            out += ["", f"with {module.w}.unsafe.imports_passed_through():", module.indent + line]
    out += _render_functions(module)
    return module.newline.join(out) + module.newline


# --- walking the tree -------------------------------------------------------------


@dataclass
class BlockRef:
    """One block of statements somewhere in a module, and how to reach it."""

    nodes: list[Node]  # the list itself: edits change it in place
    function: Function
    role: str  # the clause role, or "plain" for a function body
    depth: int
    in_patch: bool  # under some existing patched() test


def blocks(module: Module) -> list[BlockRef]:
    found: list[BlockRef] = []

    def walk(nodes: list[Node], fn: Function, role: str, depth: int, in_patch: bool) -> None:
        found.append(BlockRef(nodes, fn, role, depth, in_patch))
        for node in nodes:
            if isinstance(node, Compound):
                patchy = in_patch or node.kind in ("patched", "patched-not", "chain", "site-if")
                for clause in node.clauses:
                    inner_role = clause.role if role == "plain" else role
                    walk(clause.body, fn, inner_role, depth + 1, patchy)

    for fn in module.functions:
        walk(fn.body, fn, "plain", 0, False)
    return found


def compounds(module: Module) -> Iterator[tuple[BlockRef, int, Compound]]:
    for ref in blocks(module):
        for index, node in enumerate(ref.nodes):
            if isinstance(node, Compound):
                yield ref, index, node


# --- statements --------------------------------------------------------------------

_ACTIVITY_CALL = ["await {W}.execute_activity(act_{a}, x, start_to_close_timeout=timedelta(seconds={n}))"]
_ACTIVITY_CALL_3 = [
    "result = await {W}.execute_activity(",
    "    act_{a}, x, start_to_close_timeout=timedelta(seconds={n})",
    ")",
]

ASYNC_POOL: list[tuple[list[str], tuple[str, ...]]] = [
    (_ACTIVITY_CALL, ("a", "n")),
    (_ACTIVITY_CALL_3, ("a", "n")),
    (["await {W}.sleep({n})"], ("n",)),
    (["self.state = {n}"], ("n",)),
    (["self.n += {n}"], ("n",)),
    (["x = x + {n}"], ("n",)),
    (['{W}.logger.info("step {n}")'], ("n",)),
    (["return {n}"], ("n",)),
    (["await {W}.wait_condition(lambda: self.n > {n})"], ("n",)),
    (["self.state = {n}; self.n += 1"], ("n",)),
    (["pass"], ()),
]
SYNC_POOL: list[tuple[list[str], tuple[str, ...]]] = [
    (["self.state = {n}"], ("n",)),
    (["self.n = {n}"], ("n",)),
    (['{W}.logger.info("init {n}")'], ("n",)),
]
QUERY_POOL: list[tuple[list[str], tuple[str, ...]]] = [
    (["return self.state"], ()),
    (["return self.state + {n}"], ("n",)),
    (["total = self.n * {n}"], ("n",)),
]
SHARED_POOL: list[tuple[list[str], tuple[str, ...]]] = [
    (_ACTIVITY_CALL, ("a", "n")),
    (["await {W}.sleep({n})"], ("n",)),
    (["x = x + {n}"], ("n",)),
    (["return x"], ()),
]

COMMENTS = ["# charge first", "# then wait", "# TODO: tidy", "# see ORDERS-12", "# keep this order"]

# Block headers: (kind, header template, parameters); `if` may grow elif/else.
HEADERS = {
    "if": ["if x > {n}:", "if self.state == {n}:"],
    "for": ["for i in range({n}):"],
    "while": ["while self.n < {n}:"],
    "with": ["with suppress(KeyError):"],
}


@dataclass
class Ctx:
    """What a function's statements may use."""

    fn_role: str
    helper: bool
    shared: bool
    old_ids: tuple[str, ...]  # ids an existing patch may test
    gone_ids: tuple[str, ...]
    with_patches: bool = False  # may draw existing patch forms

    def pool(self) -> list[tuple[list[str], tuple[str, ...]]]:
        if self.fn_role == "init":
            return SYNC_POOL
        if self.fn_role == "query":
            return QUERY_POOL
        if self.fn_role == "shared":
            return SHARED_POOL
        pool = list(ASYNC_POOL)
        if self.helper and self.fn_role in ("run", "signal"):
            pool.append((["await self.helper(x)"], ()))
        if self.shared and self.fn_role != "shared":
            pool.append((["x = await shared_step(x)"], ()))
        return pool


_small = st.integers(min_value=1, max_value=9)


_COMMENT = st.sampled_from(COMMENTS)
# Leading lines of a statement: none (half the time), a blank line, a
# comment, or both. One draw each (strategies built once: building them per
# draw costs more than the draw).
_PRE = st.sampled_from([()] * 15 + [("",)] * 5 + [(c,) for c in COMMENTS] + [("", c) for c in COMMENTS])
_TRAILING = st.sampled_from(["", "", "", "", "  # why", "  # noqa"])
_ACTIVITY = st.integers(1, len(ACTIVITIES))


def pre_lines() -> st.SearchStrategy[list[str]]:
    return _PRE.map(list)


def trailing_comment() -> st.SearchStrategy[str]:
    return _TRAILING


@functools.cache
def _sampled(options: tuple) -> st.SearchStrategy:
    return st.sampled_from(options)


@st.composite
def leaf(draw, ctx: Ctx) -> Leaf:
    lines, names = draw(_sampled(tuple((tuple(lines), names) for lines, names in ctx.pool())))
    params = {name: draw(_ACTIVITY if name == "a" else _small) for name in names}
    return Leaf(list(lines), params, draw(pre_lines()), draw(trailing_comment()))


_SITE_LINES = st.sampled_from(['self.state = {n} if {P}("%s") else {m}', 'self.state = {n} if {P}("%s") else {m}', 'flag = {P}("%s")'])
# A site inside a condition: evaluated always (first in the `and`/`or`), or
# only sometimes (after another condition; deprecate refuses `y or
# patched`).
_SITE_TESTS = st.sampled_from(
    ['if {P}("%s") and x > {n}:'] * 3 + ['if x > {n} and {P}("%s"):'] * 3 + ['if {P}("%s") or x > {n}:', 'if x > {n} or {P}("%s"):']
)


@st.composite
def patch_leaf(draw, ctx: Ctx) -> Leaf:
    """A site in an expression, or a deprecated patch's marker."""
    choices = []
    if ctx.old_ids:
        choices.append("site")
    if ctx.gone_ids:
        choices.append("deprecate")
    kind = draw(st.sampled_from(choices))
    if kind == "site":
        k = draw(st.sampled_from(ctx.old_ids))
        line = draw(_SITE_LINES) % k
        return Leaf([line], {"n": draw(_small), "m": draw(_small)}, draw(pre_lines()), kind="site")
    k = draw(st.sampled_from(ctx.gone_ids))
    line = draw(st.sampled_from(['{W}.deprecate_patch("%s")'] * 4 + ['{W}.deprecate_patch("%s"); self.n += 1']))
    return Leaf([line % k], {}, draw(pre_lines()), kind="deprecate")


@st.composite
def block(draw, ctx: Ctx, depth: int, min_size: int = 1, max_size: int = 3, inner_size: int = 3) -> list[Node]:
    size = draw(st.integers(min_size, max_size))
    nodes = [draw(statement(ctx, depth, inner_size)) for _ in range(size)]
    if draw(st.integers(0, 9)) == 0:
        # A comment closing the block (libcst keeps it in the block's footer).
        nodes.append(Leaf([draw(_COMMENT)], kind="comment"))
    return nodes


_INLINE = st.sampled_from([False] * 5 + [True])


@st.composite
def statement(draw, ctx: Ctx, depth: int, inner_size: int = 3) -> Node:
    node = draw(_statement(ctx, depth, inner_size))
    if isinstance(node, Compound):
        for clause in node.clauses:
            clause.inline = draw(_INLINE)
    return node


@st.composite
def _statement(draw, ctx: Ctx, depth: int, inner_size: int = 3) -> Node:
    kinds = ["leaf"] * 6
    if depth > 0 and ctx.fn_role not in ("query",):
        kinds += ["if", "for", "while", "try", "with"]
    if ctx.with_patches and ctx.fn_role not in ("init", "query") and (ctx.old_ids or ctx.gone_ids):
        kinds += ["patch_leaf"]
        if ctx.old_ids and depth > 0:
            kinds += ["patched", "patched", "patched-not", "chain", "site-if"]
    kind = draw(_sampled(tuple(kinds)))
    if kind == "leaf":
        return draw(leaf(ctx))
    if kind == "patch_leaf":
        return draw(patch_leaf(ctx))
    inner = depth - 1
    pre = draw(pre_lines())
    if kind in HEADERS:
        header = draw(_sampled(tuple(HEADERS[kind])))
        clauses = [Clause(header, draw(block(ctx, inner, 1, inner_size, inner_size)), {"n": draw(_small)}, trailing=draw(trailing_comment()))]
        if kind == "if":
            if draw(st.booleans()):
                clauses.append(Clause("elif x == {n}:", draw(block(ctx, inner, 1, inner_size, inner_size)), {"n": draw(_small)}))
            if draw(st.booleans()):
                clauses.append(Clause("else:", draw(block(ctx, inner, 1, inner_size, inner_size))))
        return Compound(kind, clauses, pre)
    if kind == "try":
        clauses = [Clause("try:", draw(block(ctx, inner, 1, inner_size, inner_size))), Clause("except ValueError:", draw(block(ctx, inner, 1, inner_size, inner_size)))]
        if draw(st.booleans()):
            clauses.append(Clause("finally:", draw(block(ctx, inner, 1, inner_size, inner_size))))
        return Compound("try", clauses, pre)
    # existing patches
    if kind == "chain" and len(ctx.old_ids) >= 2:
        newer, older = sorted(draw(st.lists(st.sampled_from(ctx.old_ids), min_size=2, max_size=2, unique=True)), reverse=True)
        clauses = [
            Clause('if {P}("%s"):' % newer, draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-new"),
            Clause('elif {P}("%s"):' % older, draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-old", trailing=draw(trailing_comment())),
            Clause("else:", draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-old"),
        ]
        return Compound("chain", clauses, pre)
    k = draw(st.sampled_from(ctx.old_ids))
    if kind == "patched-not":
        clauses = [Clause('if not {P}("%s"):' % k, draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-old")]
        if draw(st.integers(0, 2)) == 0:
            clauses.append(Clause("else:", draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-new"))
        return Compound("patched-not", clauses, pre)
    if kind == "site-if":
        clause = Clause(draw(_SITE_TESTS) % k, draw(block(ctx, inner, 1, inner_size, inner_size)), {"n": draw(_small)})
        clauses = [clause]
        if draw(st.booleans()):
            clauses.append(Clause("else:", draw(block(ctx, inner, 1, inner_size, inner_size))))
        return Compound("site-if", clauses, pre)
    clauses = [Clause('if {P}("%s"):' % k, draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-new", trailing=draw(trailing_comment()))]
    if draw(st.integers(0, 3)) > 0:
        clauses.append(Clause("else:", draw(block(ctx, inner, 1, inner_size, inner_size)), role="patch-old"))
    return Compound("patched", clauses, pre)


# --- modules ------------------------------------------------------------------------


@st.composite
def modules(draw, *, patches: str = "maybe", markers: bool = False, large: bool = False) -> Module:
    """A workflow module. `patches`: "never", "maybe" or "always" (at least
    one existing `patched` site, for deprecate). `markers`: at least one
    `deprecate_patch("gone-vK")` statement too (for remove). `large`: more
    methods, longer blocks (slower to rewrite; the long fuzz run mixes both)."""
    max_depth = 2
    width = 4 if large else 3
    odds = 2 if large else 4  # 1 in `odds` for each optional method
    with_patches = patches == "always" or (patches == "maybe" and draw(st.booleans()))
    old_ids: tuple[str, ...] = ()
    gone_ids: tuple[str, ...] = ()
    if with_patches:
        old_ids = tuple(sorted(draw(st.sets(st.sampled_from(OLD_IDS), min_size=1, max_size=3))))
        gone_ids = tuple(sorted(draw(st.sets(st.sampled_from(GONE_IDS), min_size=int(markers), max_size=2))))
    helper = draw(st.integers(1, odds)) == 1
    shared = draw(st.integers(1, 2 * odds)) == 1
    signal = draw(st.integers(1, odds)) == 1
    query = draw(st.integers(1, 2 * odds)) == 1

    def ctx(role: str) -> Ctx:
        return Ctx(role, helper, shared, old_ids, gone_ids, with_patches)

    functions: list[Function] = []
    if shared:
        functions.append(Function("shared_step", ["async def shared_step(x):"], draw(block(ctx("shared"), 1, 1, width - 1)), "shared", in_class=False))
    functions.append(Function("__init__", ["def __init__(self) -> None:"], [Leaf(["self.state = 0"]), Leaf(["self.n = 0"])], "init"))
    if draw(st.integers(1, 2 * odds)) == 1:
        functions[-1].body += draw(block(ctx("init"), 1, 1, 2))
    run_body = draw(block(ctx("run"), max_depth, 1, 5 if large else 3, width - 1))
    if helper and draw(st.booleans()):
        run_body.insert(0, Leaf(["await self.helper(x)"]))
    if shared and not any("shared_step" in line for node in run_body if isinstance(node, Leaf) for line in node.lines):
        run_body.insert(0, Leaf(["x = await shared_step(x)"]))
    if draw(st.integers(0, 5)) == 0:
        run_body.insert(0, Leaf(['"""Runs one order."""']))
    functions.append(Function("run", ["@{W}.run", "async def run(self, x: int) -> int:"], run_body, "run"))
    if signal:
        functions.append(Function("poke", ["@{W}.signal", "async def poke(self, x: int) -> None:"], draw(block(ctx("signal"), max_depth - 1, 1, width - 1, width - 1)), "signal"))
    if helper:
        functions.append(Function("helper", ["async def helper(self, x: int) -> None:"], draw(block(ctx("helper"), max_depth - 1, 1, width - 1, width - 1)), "helper"))
    if query:
        functions.append(Function("status", ["@{W}.query", "def status(self) -> int:"], [Leaf(["return self.state"])], "query"))

    module = Module(
        binding=draw(st.sampled_from(["workflow", "workflow", "wf", "bare"])),
        imports_at_top=draw(st.booleans()),
        import_used_only=draw(st.booleans()),
        module_docstring=draw(st.booleans()),
        class_docstring=draw(st.sampled_from(["none", "one", "multi", "history"])),
        history_ids=list(old_ids),
        functions=functions,
        indent=draw(st.sampled_from([INDENT] * 7 + ["\t"])),
        newline=draw(st.sampled_from(["\n"] * 7 + ["\r\n"])),
    )
    if patches == "always" and not _has_site(module):
        # Make sure there is one `patched` site: wrap the first statement of run.
        k = old_ids[0]
        first = run_body.pop(0) if run_body else Leaf(["await {W}.sleep(1)"])
        run_body.insert(0, Compound("patched", [Clause('if {P}("%s"):' % k, [first], role="patch-new"), Clause("else:", [Leaf(["await {W}.sleep(2)"])], role="patch-old")]))
    if markers and not any(isinstance(n, Leaf) and n.kind == "deprecate" for ref in blocks(module) for n in ref.nodes):
        at = draw(st.integers(0, len(run_body)))
        k = draw(st.sampled_from(gone_ids))
        run_body.insert(at, Leaf(['{W}.deprecate_patch("%s")' % k], {}, draw(pre_lines()), kind="deprecate"))
    return module


def _has_site(module: Module) -> bool:
    return any(node.kind in ("patched", "patched-not", "chain", "site-if") for _, _, node in compounds(module)) or any(
        isinstance(n, Leaf) and n.kind == "site" for ref in blocks(module) for n in ref.nodes
    )


# --- edits ------------------------------------------------------------------------------

EDIT_KINDS = ["insert", "insert", "delete", "delete", "replace", "tweak", "tweak", "move", "header", "wrap", "unwrap", "cosmetic"]


def _ctx_for(module: Module, fn: Function) -> Ctx:
    names = {f.name for f in module.functions}
    return Ctx(fn.role, "helper" in names, "shared_step" in names, (), ())


_FN_WEIGHT = {"run": 8, "signal": 3, "helper": 3, "shared": 2, "init": 1, "query": 1}


@st.composite
def _pick_block(draw, module: Module, nonempty: int = 0) -> BlockRef:
    refs = [r for r in blocks(module) if len(r.nodes) >= nonempty] or blocks(module)
    # Weights by drawing an index from a repeated list: blocks an old patch
    # runs when false are chosen rarely (introduce refuses them).
    weighted: list[BlockRef] = []
    for ref in refs:
        weight = _FN_WEIGHT[ref.function.role]
        if ref.role == "patch-old":
            weight = 1
        elif ref.role == "patch-new":
            weight *= 2  # edits inside an existing patch make chains
        weighted += [ref] * weight
    return draw(st.sampled_from(weighted or refs))


@st.composite
def edit(draw, module: Module) -> str:
    """Apply one random edit to `module` in place; returns what it did."""
    kind = draw(st.sampled_from(EDIT_KINDS))
    if kind == "insert":
        ref = draw(_pick_block(module))
        at = draw(st.integers(0, len(ref.nodes)))
        ref.nodes.insert(at, draw(statement(_ctx_for(module, ref.function), 1 if ref.depth < 3 else 0)))
        return f"insert in {ref.function.name} depth {ref.depth} role {ref.role}"
    if kind == "delete":
        ref = draw(_pick_block(module, nonempty=1))
        if not ref.nodes:
            return "nothing"
        at = draw(st.integers(0, len(ref.nodes) - 1))
        del ref.nodes[at]
        return f"delete in {ref.function.name} depth {ref.depth} role {ref.role}"
    if kind == "replace":
        ref = draw(_pick_block(module, nonempty=1))
        if not ref.nodes:
            return "nothing"
        at = draw(st.integers(0, len(ref.nodes) - 1))
        new = draw(statement(_ctx_for(module, ref.function), 1 if ref.depth < 3 else 0))
        new.pre = ref.nodes[at].pre
        ref.nodes[at] = new
        return f"replace in {ref.function.name} depth {ref.depth} role {ref.role}"
    if kind == "tweak":
        leaves = [(ref, n) for ref in blocks(module) for n in ref.nodes if isinstance(n, Leaf) and "n" in n.params]
        if not leaves:
            return "nothing"
        ref, node = draw(st.sampled_from(leaves))
        node.params = {**node.params, "n": draw(_small.filter(lambda v: v != node.params["n"]))}
        return f"tweak in {ref.function.name} depth {ref.depth} role {ref.role}"
    if kind == "move":
        ref = draw(_pick_block(module, nonempty=2))
        if len(ref.nodes) < 2:
            return "nothing"
        i = draw(st.integers(0, len(ref.nodes) - 1))
        j = draw(st.integers(0, len(ref.nodes) - 1))
        ref.nodes.insert(j, ref.nodes.pop(i))
        return f"move in {ref.function.name} depth {ref.depth}"
    if kind == "header":
        found = [(r, c) for r, _, c in compounds(module) if c.kind in ("if", "for", "while", "site-if")]
        if not found:
            return "nothing"
        ref, node = draw(st.sampled_from(found))
        clause = draw(st.sampled_from([c for c in node.clauses if "n" in c.params] or node.clauses))
        if "n" not in clause.params:
            return "nothing"
        clause.params = {"n": draw(_small.filter(lambda v: v != clause.params["n"]))}
        return f"header of {node.kind} in {ref.function.name}"
    if kind == "wrap":
        ref = draw(_pick_block(module, nonempty=1))
        if not ref.nodes or ref.function.role == "query":
            return "nothing"
        i = draw(st.integers(0, len(ref.nodes) - 1))
        j = draw(st.integers(i + 1, len(ref.nodes)))
        which = draw(st.sampled_from(["if", "for", "while", "with", "try"]))
        inner = ref.nodes[i:j]
        pre = inner[0].pre
        inner[0].pre = []
        if which == "try":
            new = Compound("try", [Clause("try:", inner), Clause("except ValueError:", [Leaf(["pass"])])], pre)
        else:
            new = Compound(which, [Clause(draw(st.sampled_from(HEADERS[which])), inner, {"n": draw(_small)})], pre)
        ref.nodes[i:j] = [new]
        return f"wrap {which} in {ref.function.name} depth {ref.depth}"
    if kind == "unwrap":
        found = [(r, i, c) for r, i, c in compounds(module) if c.kind in ("if", "for", "while", "with", "try")]
        if not found:
            return "nothing"
        ref, index, node = draw(st.sampled_from(found))
        body = node.clauses[0].body
        if body:
            body[0].pre = node.pre + body[0].pre
        ref.nodes[index : index + 1] = body
        return f"unwrap {node.kind} in {ref.function.name}"
    # cosmetic: comments, blank lines, log messages; introduce needs no patch for these
    ref = draw(_pick_block(module, nonempty=1))
    if not ref.nodes:
        return "nothing"
    node = draw(st.sampled_from(ref.nodes))
    what = draw(st.sampled_from(["comment", "blank", "trailing", "log"]))
    if what == "comment":
        node.pre = [*node.pre, draw(_COMMENT)]
    elif what == "blank":
        node.pre = ["", *node.pre] if not node.pre or node.pre[0] != "" else node.pre[1:]
    elif what == "trailing" and isinstance(node, Leaf) and node.kind == "simple":
        node.trailing = "" if node.trailing else "  # edited"
    else:
        ref.nodes.insert(ref.nodes.index(node), Leaf(['{W}.logger.info("added {n}")'], {"n": draw(_small)}))
    return f"cosmetic {what} in {ref.function.name}"


_NUMBERED = re.compile(r" \(c\d+\)$")


def number_comments(module: Module, start: int = 1) -> int:
    """Give every comment that has none a number, `(cN)`, from `start` on;
    returns the next number. Numbered comments are unique, so a check can
    follow each one through a rewrite."""
    counter = [start]

    def numbered(text: str) -> str:
        if not text.strip() or _NUMBERED.search(text):
            return text
        counter[0] += 1
        return f"{text} (c{counter[0] - 1})"

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            node.pre = [numbered(line) if line else line for line in node.pre]
            if isinstance(node, Leaf):
                node.trailing = numbered(node.trailing)
                if node.kind == "comment":
                    node.lines = [numbered(node.lines[0])]
            else:
                for clause in node.clauses:
                    clause.trailing = numbered(clause.trailing)
                    walk(clause.body)

    for fn in module.functions:
        walk(fn.body)
    return counter[0]


@dataclass
class EditCase:
    base: Module
    edited: Module
    edits: list[str]

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis shows a failing case
        printer.text(repr(self))

    def __repr__(self) -> str:
        return f"EditCase(edits={self.edits!r})\n--- base.py\n{self.base_src}--- edited.py\n{self.edited_src}"

    @property
    def base_src(self) -> str:
        return render(self.base)

    @property
    def edited_src(self) -> str:
        return render(self.edited)


@st.composite
def edit_cases(
    draw, *, patches: str = "maybe", markers: bool = False, max_edits: int = 3, large: bool | None = False
) -> EditCase:
    """A module and an edited copy of it (1 to `max_edits` edits); `large`
    None draws the module's size too."""
    if large is None:
        large = draw(st.booleans())
    base = draw(modules(patches=patches, markers=markers, large=large))
    following = number_comments(base)
    edited = copy.deepcopy(base)
    done = [draw(edit(edited)) for _ in range(draw(st.integers(1, max_edits)))]
    number_comments(edited, following)
    return EditCase(base, edited, done)
