"""Reading and writing source files without changing a byte we did not mean to."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from patchmod.cli.errors import PatchmodError


def decode(data: bytes, where: str) -> str:
    """UTF-8 text of `data`, exactly (newlines untouched), or a clear error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatchmodError(f"{where}: not valid UTF-8 (byte {exc.start}): {exc.reason}") from None


def read_text(path: str | os.PathLike[str], where: str | None = None) -> str:
    """The file's text with its newlines exactly as on disk."""
    where = where or str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise PatchmodError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise PatchmodError(f"{where}: is a directory") from None
    except OSError as exc:
        raise PatchmodError(f"{where}: cannot read: {exc.strerror}") from None
    return decode(data, where)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` (UTF-8, newlines as given), keeping its mode.

    The text goes to a temporary file in the same folder, which then takes
    the file's place in one `os.replace`: a reader sees the old file or the
    new one, never half of either.
    """
    target = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".patchmod", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_all(root: str | os.PathLike[str], rewrites: list[tuple[str, str]]) -> list[str]:
    """Write each `(repository-relative path, text)` atomically, in order;
    the paths written. A failure names the file and those already rewritten."""
    written: list[str] = []
    for path, text in rewrites:
        try:
            write_text_atomic(Path(root) / path, text)
        except OSError as exc:
            done = f" (already rewritten: {', '.join(written)})" if written else ""
            raise PatchmodError(f"{path}: cannot write: {exc.strerror or exc}{done}") from None
        written.append(path)
    return written
