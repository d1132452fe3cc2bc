"""introduce and check switch the garbage collector off while they parse
(codemods/workflow_code.py `paused_gc`). The collector belongs to the whole
interpreter, so a program that calls patchmod's API from several threads
must get it back as it was, whatever the order the calls end in."""

from __future__ import annotations

import gc
import threading

import pytest
from patchmod.codemods.findings import Refusal
from patchmod.codemods.guard import check_module
from patchmod.codemods.workflow_code import paused_gc


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_overlapping_calls_leave_the_collector_on() -> None:
    # A enters, B enters, A leaves (B still inside: still off), B leaves.
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def a() -> None:
        with paused_gc():
            a_inside.set()
            b_inside.wait()
        a_left.set()

    def b() -> None:
        a_inside.wait()
        with paused_gc():
            b_inside.set()
            a_left.wait()
            seen["while B is inside"] = gc.isenabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"while B is inside": False}
    assert gc.isenabled()


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_a_refusal_gives_the_collector_back() -> None:
    with pytest.raises(Refusal):
        check_module("x = 1\n", "def broken(:\n")
    assert gc.isenabled()
