"""introduce's codemod in a child process, started before anything else.

Two imports are most of a one-file `patchmod introduce`: libcst (about
0.25 s) and GitPython (about 0.13 s), and both are CPU-bound, so threads
cannot overlap them (the GIL). A child forked at once loads libcst on
the second core while this process loads GitPython and asks git for the
files; the texts go over a pipe and the rewrite comes back.

Only where it pays and is safe: on Linux (macOS has `fork`, but its
system libraries do not promise to survive it without an `exec`), on
more than one core, and in a process with no other thread yet (the
command line, before it starts any). A child that cannot start or dies
leaves the work to this process.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from patchmod.cli.workers import usable_cores

_MODULE = "patchmod.codemods.introduce"


def _serve(requests, requests_writer, results, results_reader) -> None:
    # The parent's ends: closed here, so that the parent's death reads as
    # EOF below instead of a child waiting forever.
    requests_writer.close()
    results_reader.close()
    # Ctrl-C is the parent's to handle (it stops, and this child reads EOF),
    # not a second traceback from here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import importlib

    module = importlib.import_module(_MODULE)
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        name, args, kwargs = request
        try:
            reply = ("ok", getattr(module, name)(*args, **kwargs))
        except Exception as exc:
            reply = ("raised", exc)
        try:
            results.send(reply)
        except Exception:
            results.send(("failed", None))


class CodemodChild:
    """`call(name, *args)` runs `patchmod.codemods.introduce.<name>` in the
    child: its return value, or the exception it raised, raised here."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        requests_reader, self._requests = context.Pipe(duplex=False)
        self._results, results_writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(requests_reader, self._requests, results_writer,
                                                             self._results), daemon=True)
        self._process.start()
        requests_reader.close()
        results_writer.close()
        self.alive = True

    @classmethod
    def start_if_useful(cls) -> CodemodChild | None:
        if not sys.platform.startswith("linux") or threading.active_count() > 1:
            return None
        if usable_cores() < 2:
            return None
        try:
            return cls()
        except OSError:
            return None

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.alive:
            try:
                self._requests.send((name, args, kwargs))
                outcome, value = self._results.recv()
            except (EOFError, OSError):
                self.close()
            else:
                if outcome == "ok":
                    return value
                if outcome == "raised":
                    raise value
        import importlib

        return getattr(importlib.import_module(_MODULE), name)(*args, **kwargs)

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            self._requests.send(None)
        except OSError:
            pass
        self._requests.close()
        self._results.close()
        self._process.join(timeout=5)
        if self._process.is_alive():  # pragma: no cover - a child that will not stop
            self._process.kill()
            self._process.join()
