"""Reaching a Temporal server: the shared `--address`/`--namespace` options and
`connect()`, for `histories pull`, `ready` and any command that consults them.

temporalio is imported inside the functions: `patchmod --help` imports this
module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from patchmod.cli.errors import PatchmodError

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
CONNECT_TIMEOUT = 10.0  # seconds


@dataclass(frozen=True)
class ServerOptions:
    address: str = DEFAULT_ADDRESS
    namespace: str = DEFAULT_NAMESPACE
    api_key: str | None = None
    tls: bool = False


def server_options(fn: Callable) -> Callable:
    """`--address`, `--namespace`, `--api-key`, `--tls`, read from the
    environment the way the Temporal CLI does (TEMPORAL_ADDRESS...)."""
    fn = click.option("--tls", is_flag=True, default=False,
                      help="Connect with TLS (implied by --api-key).")(fn)
    fn = click.option("--api-key", envvar="TEMPORAL_API_KEY", default=None, metavar="KEY",
                      show_envvar=True, help="API key (Temporal Cloud).")(fn)
    fn = click.option("--namespace", envvar="TEMPORAL_NAMESPACE", default=DEFAULT_NAMESPACE,
                      show_default=True, show_envvar=True, metavar="NS", help="Temporal namespace.")(fn)
    fn = click.option("--address", envvar="TEMPORAL_ADDRESS", default=DEFAULT_ADDRESS,
                      show_default=True, show_envvar=True, metavar="HOST:PORT",
                      help="Temporal frontend address.")(fn)
    return fn


_runtime = None


def quiet_runtime():
    """One Runtime per process whose Core logs are filtered to errors."""
    global _runtime
    if _runtime is None:
        from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

        _runtime = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")),
                metrics=None,
            ),
            worker_heartbeat_interval=None,
        )
    return _runtime


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "dns error" in text or "Name or service not known" in text:
        return "cannot resolve the host name"
    if "deadline" in text.lower() or "timed out" in text.lower():
        return "timed out"
    match = re.search(r'ConnectError\("([^"]+)"', text)
    if match:
        return match.group(1)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


async def connect(options: ServerOptions, *, timeout: float = CONNECT_TIMEOUT):
    """A client for the server, or a `PatchmodError` saying why not."""
    import asyncio

    from temporalio.client import Client

    kwargs: dict[str, Any] = {"namespace": options.namespace, "runtime": quiet_runtime()}
    if options.api_key:
        kwargs["api_key"] = options.api_key
        kwargs["tls"] = True
    elif options.tls:
        kwargs["tls"] = True
    try:
        return await asyncio.wait_for(Client.connect(options.address, **kwargs), timeout)
    except asyncio.TimeoutError:
        raise PatchmodError(
            f"cannot reach Temporal at {options.address}: no answer within {timeout:.0f} s"
        ) from None
    except (RuntimeError, ValueError, OSError) as exc:
        raise PatchmodError(f"cannot reach Temporal at {options.address}: {_reason(exc)}") from None


def rpc_error(exc: BaseException, what: str, options: ServerOptions) -> PatchmodError:
    """A server refusal (unknown namespace, bad query...) as a user error."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return PatchmodError(f"{what} on {options.address} (namespace {options.namespace}): {message}")


def quote_query_value(value: str) -> str:
    """A string literal for a visibility query."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
