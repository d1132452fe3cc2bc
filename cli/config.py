"""`[tool.patchmod]` settings from the repository's pyproject.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patchmod.cli.errors import PatchmodError

DEFAULT_MAX_ACTIVE_PATCHES = 3


@dataclass(frozen=True)
class Config:
    max_active_patches: int = DEFAULT_MAX_ACTIVE_PATCHES


def _toml_loads(text: str, where: str) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise PatchmodError(f"{where}: reading it on Python 3.10 needs the 'tomli' package") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PatchmodError(f"{where}: not valid TOML: {exc}") from None


def load_config(repo_root: str | Path) -> Config:
    """The settings in `<repo_root>/pyproject.toml`, defaults where absent."""
    path = Path(repo_root) / "pyproject.toml"
    where = "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise PatchmodError(f"{where}: cannot read: {exc}") from None
    table = _toml_loads(text, where).get("tool", {}).get("patchmod", {})
    if not isinstance(table, dict):
        raise PatchmodError(f"{where}: [tool.patchmod] must be a table")
    value = table.get("max-active-patches", DEFAULT_MAX_ACTIVE_PATCHES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PatchmodError(
            f"{where}: [tool.patchmod] max-active-patches must be a positive integer, not {value!r}"
        )
    return Config(max_active_patches=value)
