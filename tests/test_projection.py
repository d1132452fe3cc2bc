"""The "behaves as" oracle on small modules: each test breaks if folding,
dropping, reachability or the world rules break."""

from __future__ import annotations

import textwrap

import pytest
from patchmod.codemods.projection import (
    World,
    behaves_as,
    fold,
    introduce_differences,
    patch_ids,
    project,
    reachable_worlds,
)


def module(body: str, header: str = "from temporalio import workflow", run_args: str = "self") -> str:
    """A one-workflow module whose run method holds `body`."""
    decorator = "workflow" if "import workflow" in header and " as " not in header else None
    if "workflow as wf" in header:
        decorator = "wf"
    elif header.startswith("import temporalio.workflow"):
        decorator = "temporalio.workflow"
    elif decorator is None:
        decorator = "workflow"
    return (
        textwrap.dedent(header).strip()
        + "\n\n\n"
        + f"@{decorator}.defn\nclass Flow:\n    @{decorator}.run\n    async def run({run_args}) -> None:\n"
        + textwrap.indent(textwrap.dedent(body).strip(), "        ")
        + "\n"
    )


def run_of(source: str, world) -> str:
    return project(source, world)["Flow.run"]


def same(a: str, a_world, b: str, b_world=None) -> bool:
    return not behaves_as(a, a_world, b, a_world if b_world is None else b_world)


# -- folding under every binding ----------------------------------------------

BINDINGS = {
    "module": ("from temporalio import workflow", "workflow.patched"),
    "alias": ("from temporalio import workflow as wf", "wf.patched"),
    "qualified": ("import temporalio.workflow", "temporalio.workflow.patched"),
    "bare": ("from temporalio import workflow\nfrom temporalio.workflow import patched", "patched"),
    "bare_alias": ("from temporalio import workflow\nfrom temporalio.workflow import patched as is_on", "is_on"),
}


@pytest.mark.parametrize("binding", BINDINGS, ids=list(BINDINGS))
def test_patched_folds_under_every_binding(binding: str) -> None:
    header, call = BINDINGS[binding]
    patched = module(f'if {call}("p-v1"):\n    await new()\nelse:\n    await old()', header)
    assert same(patched, {"p-v1": True}, module("await new()", header))
    assert same(patched, {"p-v1": False}, module("await old()", header))
    assert not same(patched, {"p-v1": True}, module("await old()", header))
    assert patch_ids(patched) == ["p-v1"]


def test_a_patched_that_is_not_temporals_is_not_folded() -> None:
    header = "from temporalio import workflow\nfrom flags import patched"
    source = module('if patched("p-v1"):\n    await new()', header)
    assert patch_ids(source) == []
    # Folding would have made it `await new()` in this world; it must stay an `if`.
    assert not same(source, {"p-v1": True}, module("await new()", header))


def test_only_the_named_id_folds_and_others_take_the_default() -> None:
    source = module('if workflow.patched("a-v1"):\n    await a()\nif workflow.patched("b-v1"):\n    await b()')
    assert same(source, World({"a-v1": True}, default=False), module("await a()"))
    assert same(source, World({"a-v1": False}, default=True), module("await b()"))
    assert same(source, {"a-v1": True}, module("await a()"))  # a plain dict: others are false


# -- branches, chains and boolean expressions -----------------------------------

CHAIN = module(
    """
    if workflow.patched("v3"):
        await three()
    elif workflow.patched("v2"):
        await two()
    else:
        await one()
    await always()
    """
)


@pytest.mark.parametrize(
    "world, taken",
    [
        ({"v3": True, "v2": True}, "three"),
        ({"v3": True, "v2": False}, "three"),
        ({"v3": False, "v2": True}, "two"),
        ({"v3": False, "v2": False}, "one"),
    ],
)
def test_elif_chain_keeps_only_the_taken_branch(world, taken) -> None:
    assert same(CHAIN, world, module(f"await {taken}()\nawait always()"))
    others = {"three", "two", "one"} - {taken}
    for other in others:
        assert not same(CHAIN, world, module(f"await {other}()\nawait always()"))


def test_if_not_patched_is_the_pure_removal_form() -> None:
    source = module('if not workflow.patched("p-v1"):\n    await old()\nawait rest()')
    assert same(source, {"p-v1": False}, module("await old()\nawait rest()"))
    assert same(source, {"p-v1": True}, module("await rest()"))


def test_and_or_with_a_folded_patch() -> None:
    anded = module('if workflow.patched("p-v1") and ready:\n    await go()', run_args="self, ready")
    assert same(anded, {"p-v1": True}, module("if ready:\n    await go()", run_args="self, ready"))
    assert same(anded, {"p-v1": False}, module("pass", run_args="self, ready"))

    ored = module('if ready or workflow.patched("p-v1"):\n    await go()', run_args="self, ready")
    assert same(ored, {"p-v1": True}, module("if ready:\n    await go()", run_args="self, ready")) is False
    assert same(ored, {"p-v1": False}, module("if ready:\n    await go()", run_args="self, ready"))
    # `ready or True` is always taken, but `ready` is still evaluated: only the
    # test stays, so the branch is not dropped.
    assert same(ored, {"p-v1": True}, module("if ready or True:\n    await go()", run_args="self, ready"))

    negated = module('if not (workflow.patched("p-v1") or workflow.patched("q-v1")):\n    await old()')
    assert same(negated, {"p-v1": False, "q-v1": False}, module("await old()"))
    assert same(negated, {"p-v1": False, "q-v1": True}, module("pass"))


def test_conditional_expression_folds() -> None:
    source = module('timeout = 30 if workflow.patched("p-v1") else 10\nawait go(timeout)')
    assert same(source, {"p-v1": True}, module("timeout = 30\nawait go(timeout)"))
    assert same(source, {"p-v1": False}, module("timeout = 10\nawait go(timeout)"))
    assert not same(source, {"p-v1": False}, module("timeout = 30\nawait go(timeout)"))


def test_fold_returns_a_new_tree_and_leaves_unrelated_code_alone() -> None:
    source = module('if workflow.patched("p-v1"):\n    await new()\nif flag:\n    await other()', run_args="self, flag")
    tree = fold(source, {"p-v1": False})
    text = __import__("ast").unparse(tree)
    assert "patched" not in text and "new()" not in text and "if flag:" in text


# -- what never behaves ------------------------------------------------------------


def test_inert_statements_are_dropped() -> None:
    plain = module("await charge()\nawait ship()")
    noisy = module(
        '''
        """Run the order."""
        workflow.logger.info("charging %s", 1)
        await charge()
        pass
        logger.debug("x")
        logging.warning("y")
        workflow.deprecate_patch("old-v1")
        await ship()
        ''',
        "import logging\nfrom temporalio import workflow\nlogger = logging.getLogger(__name__)",
    )
    assert same(noisy, {}, plain)
    # ...but an activity call is not inert.
    assert not same(module("await charge()\nawait ship()\nawait notify()"), {}, plain)


def test_a_bare_patched_call_statement_folds_away() -> None:
    # `workflow.patched("p")` used only for its marker behaves as nothing after folding.
    assert same(module('workflow.patched("p-v1")\nawait go()'), {"p-v1": True}, module("await go()"))


# -- which functions run in the workflow ----------------------------------------------

HANDLERS = '''
from temporalio import workflow


def shared(x):
    return x + 1


@workflow.defn
class Flow:
    def __init__(self) -> None:
        self.n = 0

    @workflow.run
    async def run(self) -> int:
        if workflow.patched("p-v1"):
            await self._new_path()
        return shared(self.n)

    async def _new_path(self) -> None:
        await workflow.sleep(1)

    def _unused(self) -> None:
        pass

    @workflow.signal
    def bump(self) -> None:
        self.n += 1

    @workflow.update
    async def set_n(self, n: int) -> int:
        self.n = n
        return n

    @set_n.validator
    def check_n(self, n: int) -> None:
        assert n >= 0

    @workflow.query
    def peek(self) -> int:
        return self.n
'''


def test_projection_keeps_workflow_functions_and_leaves_read_only_ones_out() -> None:
    on = project(HANDLERS, {"p-v1": True})
    assert set(on) == {"Flow.__init__", "Flow.run", "Flow._new_path", "Flow.bump", "Flow.set_n", "shared"}
    # Reachability is computed after folding: without the patch, the new
    # helper is not workflow code at all.
    assert "Flow._new_path" not in project(HANDLERS, {"p-v1": False})


def test_query_and_validator_changes_do_not_count() -> None:
    changed = HANDLERS.replace("return self.n\n", "return self.n * 2\n").replace("n >= 0", "n >= 1")
    assert changed != HANDLERS
    assert not behaves_as(HANDLERS, {}, changed, {})
    signal_changed = HANDLERS.replace("self.n += 1", "self.n += 2")
    assert behaves_as(HANDLERS, {}, signal_changed, {}) and "Flow.bump" in behaves_as(HANDLERS, {}, signal_changed, {})[0]


def test_module_level_helper_reached_from_run_is_compared() -> None:
    changed = HANDLERS.replace("return x + 1", "return x + 2")
    [difference] = behaves_as(HANDLERS, {}, changed, {})
    assert difference.startswith("shared differs")


def test_signature_change_is_a_difference() -> None:
    assert behaves_as(module("await go()"), {}, module("await go()", run_args="self, extra=None"), {})


# -- names a function borrows ---------------------------------------------------------


def test_an_old_branch_that_lost_its_import_does_not_behave_as_base() -> None:
    base = module("await workflow.execute_activity(charge)", "from temporalio import workflow\nfrom acts import charge")
    lost = module("await workflow.execute_activity(charge)", "from temporalio import workflow\nfrom acts import charge_v2")
    moved = module("await workflow.execute_activity(charge)", "from temporalio import workflow\nfrom other import charge")
    [difference] = behaves_as(lost, {}, base, {})
    assert "charge: unbound" in difference
    assert behaves_as(moved, {}, base, {})  # same name, another module


def test_a_call_to_a_deleted_method_does_not_behave_as_base() -> None:
    base = module("await self._reserve()") + "\n    async def _reserve(self) -> None:\n        await workflow.sleep(1)\n"
    deleted = module("await self._reserve()")
    differences = behaves_as(deleted, {}, base, {})
    assert any("self._reserve: no such method" in d for d in differences)
    assert "Flow._reserve: runs only on the second side" in differences


def test_module_constants_used_by_workflow_code_count() -> None:
    header = "from datetime import timedelta\nfrom temporalio import workflow\nTIMEOUT = timedelta(seconds={})"
    body = "await workflow.sleep(TIMEOUT)"
    assert behaves_as(module(body, header.format(10)), {}, module(body, header.format(30)), {})


# -- worlds, one-sided functions and the introduce rule ---------------------------------


def test_reachable_worlds_every_old_assignment_and_one_new_world() -> None:
    worlds = reachable_worlds(["a-v1", "b-v1"], "new-v1")
    assert len(worlds) == 5
    assert {tuple(sorted(w.items())) for w in worlds if not w["new-v1"]} == {
        (("a-v1", x), ("b-v1", y), ("new-v1", False)) for x in (False, True) for y in (False, True)
    }
    assert [w for w in worlds if w["new-v1"]] == [{"a-v1": True, "b-v1": True, "new-v1": True}]
    assert reachable_worlds([], "new-v1") == [{"new-v1": False}, {"new-v1": True}]
    assert len(reachable_worlds(["a-v1", "a-v1", "new-v1"], "new-v1")) == 3  # duplicates and the new id ignored


def test_function_on_one_side_is_reported_unless_left_out() -> None:
    base = module("await go()")
    edited = base + "\n    @workflow.signal\n    def poke(self) -> None:\n        self.poked = True\n"
    assert behaves_as(edited, {}, base, {}) == ["Flow.poke: runs only on the first side"]
    assert behaves_as(edited, {}, base, {}, functions=project(base, {})) == []
    assert behaves_as(edited, {}, base, {}, functions=["Flow.nope"]) == ["Flow.nope: runs on neither side"]


BASE = module("await charge()\nawait ship()")
EDITED = module("await charge()\nawait check()\nawait ship()")


def test_introduce_rule_accepts_a_correct_wrap() -> None:
    good = module('await charge()\nif workflow.patched("new-v1"):\n    await check()\nawait ship()')
    assert introduce_differences(BASE, EDITED, good, "new-v1") == []


@pytest.mark.parametrize(
    "wrong",
    [
        module("await charge()\nawait check()\nawait ship()"),  # not wrapped at all
        module('await charge()\nif not workflow.patched("new-v1"):\n    await check()\nawait ship()'),  # inverted
        module('await charge()\nif workflow.patched("other-v1"):\n    await check()\nawait ship()'),  # wrong id
        module('if workflow.patched("new-v1"):\n    await charge()\n    await check()\nawait ship()'),  # charge lost
    ],
)
def test_introduce_rule_rejects_wrong_wraps(wrong: str) -> None:
    assert introduce_differences(BASE, EDITED, wrong, "new-v1")


def test_introduce_rule_respects_existing_patch_worlds() -> None:
    base = module('if workflow.patched("old-v1"):\n    await a()\nelse:\n    await b()')
    edited = module('if workflow.patched("old-v1"):\n    await a2()\nelse:\n    await b()')
    chain = module(
        'if workflow.patched("new-v1"):\n    await a2()\nelif workflow.patched("old-v1"):\n    await a()\nelse:\n    await b()'
    )
    wrong_order = module(
        'if workflow.patched("old-v1"):\n    await a()\nelif workflow.patched("new-v1"):\n    await a2()\nelse:\n    await b()'
    )
    assert introduce_differences(base, edited, chain, "new-v1") == []
    assert introduce_differences(base, edited, wrong_order, "new-v1")


def test_class_attributes_read_by_workflow_code_count() -> None:
    def source(retries: int) -> str:
        return module("await workflow.sleep(self.RETRIES)").replace(
            "class Flow:\n", f"class Flow:\n    RETRIES = {retries}\n\n"
        )

    assert behaves_as(source(3), {}, source(3), {}) == []
    [difference] = behaves_as(source(3), {}, source(5), {})
    assert "self.RETRIES: RETRIES = 3" in difference
