"""Reading and writing source files without changing a byte we did not mean to."""

from __future__ import annotations

import contextvars
import glob
import os
import stat
import tempfile
from collections.abc import Callable
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


# Temporary files sit next to their target (same file system: `os.replace`
# is atomic only there) and are named `.NAME.XXXXXXXX.patchmod`.
TEMP_SUFFIX = ".patchmod"

# Set by `patchmod.cli.safety` while it holds the repository's lock: called
# with (root, paths) before any of them is replaced, it stores their current
# content in git.
JOURNAL: contextvars.ContextVar[Callable[[Path, list[str]], None] | None] = contextvars.ContextVar(
    "patchmod_journal", default=None)


def temporary_pattern(name: str) -> str:
    """The glob of the temporary files made for a target called `name`."""
    return f".{glob.escape(name)}.*{TEMP_SUFFIX}"


def unwritable_reason(root: str | os.PathLike[str], path: str) -> str | None:
    """Why `root/path` must not be replaced, or None.

    Never through a symbolic link (the file or a folder above it, inside or
    outside the repository), never a file that is read-only (no write bit
    for its owner, or not writable for this user), never one whose folder
    this user cannot write (the new content goes through a temporary file
    there)."""
    root = Path(os.path.realpath(root))
    full = root / path
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return "no such file (it went away during the run)"
    except OSError as exc:
        return f"cannot read its status: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(full)
        where = Path(os.path.realpath(full))
        inside = where == root or root in where.parents
        return (f"is a symbolic link (to {target}{'' if inside else ', outside the repository'}); "
                "patchmod never writes through a link")
    if os.path.realpath(full) != os.path.normpath(full):
        return "lies under a symbolic link to a folder; patchmod never writes through a link"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_nlink > 1:
        return (f"has {st.st_nlink} hard links; replacing it would leave the other names with the old "
                "content: make it a file of its own (cp, then mv over it) if it may be rewritten")
    if not st.st_mode & stat.S_IWUSR or not os.access(full, os.W_OK):
        return (f"is read-only (mode {stat.S_IMODE(st.st_mode):04o}); "
                "make it writable (chmod u+w) if it may be rewritten")
    if not os.access(full.parent, os.W_OK | os.X_OK):
        return "its folder is not writable (the new content goes through a temporary file next to it)"
    return None


def _temporary(target: Path, data: bytes, like: os.stat_result) -> str:
    """A temporary file next to `target` holding `data` (flushed to disk),
    with the mode, and where allowed the owner and group, of `like`; its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mine = os.stat(tmp)
        if (mine.st_uid, mine.st_gid) != (like.st_uid, like.st_gid):
            try:  # run as root on someone's file: it stays theirs
                os.chown(tmp, like.st_uid, like.st_gid)
            except OSError:
                pass  # not allowed: the file becomes the runner's, as an editor's save would
        os.chmod(tmp, stat.S_IMODE(like.st_mode))
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sync_folders(targets: list[Path]) -> None:
    """Make the renames durable (a crash after the run keeps the new files)."""
    for folder in dict.fromkeys(t.parent for t in targets):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_all(root: str | os.PathLike[str], rewrites: list[tuple[str, str]]) -> list[str]:
    """Replace each `(repository-relative path, text)` (UTF-8, newlines as
    given, mode kept) and return the paths written: all of them or, with a
    `PatchmodError`, none.

    1. Every target is checked (`unwritable_reason`): one symbolic link or
       read-only file refuses them all.
    2. The journal (`JOURNAL`, set while the repository's lock is held)
       stores the current content of every target in git.
    3. The new content of every target goes to a temporary file next to it,
       flushed to disk; a full disk or any other failure here removes them
       all.
    4. Each temporary file takes its target's place in one `os.replace`: a
       reader, or a run killed at any moment, sees each file old or new,
       never half of either. Should a replace fail, the files already
       replaced get their old bytes back.
    """
    root = Path(root)
    targets = [root / path for path, _text in rewrites]
    problems = [(path, why) for path, _text in rewrites if (why := unwritable_reason(root, path))]
    if problems:
        raise PatchmodError([f"{path}: {why}; nothing was written" for path, why in problems],
                            [{"file": path, "line": None, "message": f"{why}; nothing was written"}
                             for path, why in problems])
    journal = JOURNAL.get()
    if journal is not None:
        journal(root, [path for path, _text in rewrites])

    old: list[bytes] = []
    temporaries: list[str] = []
    try:
        for (path, text), target in zip(rewrites, targets):
            try:
                old.append(target.read_bytes())
                temporaries.append(_temporary(target, text.encode("utf-8"), os.stat(target)))
            except OSError as exc:
                raise PatchmodError(f"{path}: cannot write: {exc.strerror or exc}; nothing was written") from None
    except BaseException:
        for tmp in temporaries:
            _unlink(tmp)
        raise

    replaced: list[int] = []
    try:
        for i, (tmp, target) in enumerate(zip(temporaries, targets)):
            os.replace(tmp, target)
            replaced.append(i)
    except BaseException as exc:
        for tmp in temporaries[len(replaced):]:
            _unlink(tmp)
        failed = rewrites[len(replaced)][0]
        not_restored = []
        for i in replaced:
            try:
                os.replace(_temporary(targets[i], old[i], os.stat(targets[i])), targets[i])
            except OSError:
                not_restored.append(rewrites[i][0])
        if not isinstance(exc, OSError):
            raise
        if not_restored:
            raise PatchmodError(
                f"{failed}: cannot replace it: {exc.strerror or exc}; already rewritten and could not be "
                f"put back: {', '.join(not_restored)} (`git status` shows them)") from None
        raise PatchmodError(f"{failed}: cannot replace it: {exc.strerror or exc}; "
                            "the files replaced before it got their old content back: nothing changed") from None
    _sync_folders(targets)
    return [path for path, _text in rewrites]
