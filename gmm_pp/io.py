"""The output policy of every command and function that writes a folder.

- A target that is a file (or a symbolic link), or that holds the command's own
  input, is always refused.  An existing non-empty folder is refused unless
  ``overwrite`` is given.
- Everything is written into a temporary folder beside the target, named
  ``.<name>.gmm-pp-partial-<pid>``, and renamed into place in one step when all
  of it is written: the target is absent, the earlier result, or the complete
  new one -- never half of one, whatever stops the process (an error, Ctrl-C,
  ``kill -9``).  An existing target is swapped atomically with the new folder
  (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, which the next
  run repairs if a kill falls between them).
- One writer per target: a lock (``.<name>.gmm-pp.lock`` beside the target,
  released by the kernel when its process dies) refuses a second gmm-pp process
  at once, naming the target.  The next writer removes partial folders that a
  killed run left behind.
- Folders and files are created with the default modes, so they honour the
  umask (``tempfile`` would make them private to their owner).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from gmm_pp.errors import OutputError

__all__ = [
    "folder_lock",
    "output_folder",
    "refuse_unsafe_target",
    "resumable_folder",
    "write_atomic",
]

_PARTIAL = "gmm-pp-partial"
_REPLACED = "gmm-pp-replaced"


def _absolute(path: str | Path) -> Path:
    """The absolute path with its parent's symbolic links resolved (the name kept)."""
    path = Path(os.path.abspath(path))
    return path.parent.resolve() / path.name


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_unsafe_target(
    target: str | Path,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
    name: str = "--out",
    hint: str = "pass --overwrite",
) -> Path:
    """Check ``target`` against the output policy before any work is done.

    Parameters
    ----------
    target : str or Path
    overwrite : bool
        Whether an existing non-empty folder may be replaced.
    inputs : iterable of path
        Files or folders the command reads: the target may not be one of them
        or contain one of them.
    name : str
        How the target is named in messages (``"--out"``, ``"directory"``).
    hint : str
        How to allow replacing (``"pass --overwrite"``, ``"pass overwrite=True"``).

    Returns
    -------
    Path
        The target, absolute.

    Raises
    ------
    OutputError
        Naming the target and what to do.
    """
    shown = str(target)
    target = _absolute(target)
    for item in inputs:
        source = _absolute(item)
        if _is_within(source, target):
            raise OutputError(
                f"{name}: {shown!r} holds this command's input ({str(item)!r}); writing "
                "there would destroy it, so choose another folder"
            )
    if target.is_symlink():
        raise OutputError(f"{name}: {shown!r} is a symbolic link; give a folder path instead")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{name}: {shown!r} is a file; give a folder (new or empty)")
    if target.is_dir() and not overwrite and any(target.iterdir()):
        raise OutputError(
            f"{name}: {shown!r} exists and is not empty; choose another folder or {hint} "
            "to replace it"
        )
    return target


@contextlib.contextmanager
def folder_lock(target: str | Path, *, name: str = "--out") -> Iterator[Path]:
    """Hold the one-writer lock of ``target`` (a folder) for the duration.

    The lock is ``flock`` on ``.<name>.gmm-pp.lock`` beside the target: the
    kernel releases it when the holder exits, however it exits.

    Raises
    ------
    OutputError
        When another process holds it.
    """
    target = _absolute(target)
    parent = target.parent
    _makedirs(parent, name)
    path = parent / f".{target.name}.gmm-pp.lock"
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        except OSError as exc:
            raise OutputError(f"{name}: cannot create {str(path)!r} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(
                f"{name}: another gmm-pp process is writing {str(target)!r}; wait for it to "
                "finish or choose another folder"
            ) from None
        # The file may have been unlinked by the previous holder after we opened
        # it: only a lock on the file still at ``path`` counts.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield target
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _makedirs(folder: Path, name: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{name}: cannot create {str(folder)!r} ({exc.strerror})") from None


def _leftovers(target: Path) -> list[Path]:
    prefix = f".{target.name}."
    return sorted(
        p
        for p in target.parent.glob(f"{prefix}*")
        if p.name[len(prefix) :].startswith((_PARTIAL, _REPLACED)) and p.is_dir()
    )


def _repair(target: Path) -> None:
    """Under the lock: restore a result a kill left aside, remove stale partial folders."""
    for path in _leftovers(target):
        if path.name.startswith(f".{target.name}.{_REPLACED}") and not target.exists():
            os.rename(path, target)  # a kill fell between the two renames of a replacement
        else:
            shutil.rmtree(path, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p] * 2 + [ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _commit(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # now the earlier result
        return
    aside = target.with_name(f".{target.name}.{_REPLACED}-{os.getpid()}")
    os.rename(target, aside)
    os.rename(tmp, target)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def output_folder(
    target: str | Path,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
    name: str = "--out",
    hint: str = "pass --overwrite",
) -> Iterator[Path]:
    """Yield an empty folder to write into; on success it becomes ``target`` at once.

    Enter it before the long work, so a refused target or a busy one fails at
    once; everything written inside the block lands together.  On any
    exception (Ctrl-C included) the partial folder is removed and ``target`` is
    left as it was.

    Parameters
    ----------
    target : str or Path
    overwrite : bool
        Replace an existing non-empty folder.
    inputs : iterable of path
        What the command reads (never overwritten).
    name, hint : str
        How messages name the target and the way to allow replacing it.

    Yields
    ------
    Path
        The partial folder, ``.<target name>.gmm-pp-partial-<pid>`` beside the target.

    Raises
    ------
    OutputError
        See :func:`refuse_unsafe_target` and :func:`folder_lock`, or when the
        file system fails (the message names the path).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "result"
    >>> with output_folder(out, name="out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("complete")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    inputs = list(inputs)
    refuse_unsafe_target(target, overwrite=overwrite, inputs=inputs, name=name, hint=hint)
    with folder_lock(target, name=name) as path:
        _repair(path)
        # Checked again under the lock: another program may have written meanwhile.
        refuse_unsafe_target(path, overwrite=overwrite, inputs=inputs, name=name, hint=hint)
        tmp = path.with_name(f".{path.name}.{_PARTIAL}-{os.getpid()}-{time.monotonic_ns()}")
        try:
            tmp.mkdir()
        except OSError as exc:
            raise OutputError(f"{name}: cannot create {str(tmp)!r} ({exc.strerror})") from None
        try:
            yield tmp
            refuse_unsafe_target(path, overwrite=overwrite, inputs=inputs, name=name, hint=hint)
            try:
                _commit(tmp, path)
            except OSError as exc:
                raise OutputError(
                    f"{name}: could not move the finished result into {str(path)!r} "
                    f"({exc.strerror}); the earlier content is unchanged"
                ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextlib.contextmanager
def resumable_folder(
    target: str | Path,
    meta: str,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
) -> Iterator[Path]:
    """Hold ``target`` for a run that stores its parts as they finish, and resumes (studies).

    With ``overwrite`` a non-empty ``target`` is replaced by an empty folder at once.
    Without it, a folder holding ``meta`` (a run of the same kind: the caller checks
    that it is the same run) is resumed, and any other non-empty folder is refused.
    The folder's one-writer lock is held for the duration.

    Yields
    ------
    Path
        The absolute target.
    """
    inputs = list(inputs)
    target = refuse_unsafe_target(target, overwrite=True, inputs=inputs)
    if overwrite and target.is_dir() and any(target.iterdir()):
        with output_folder(target, overwrite=True, inputs=inputs):
            pass  # an empty folder swapped in at once; the earlier run removed
    with folder_lock(target):
        if not (target / meta).exists():
            refuse_unsafe_target(target, overwrite=False, inputs=inputs)
        yield target


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, then a rename.

    The file honours the umask (mode ``0o666`` before it), unlike ``tempfile``'s.

    Parameters
    ----------
    path : str or Path
    data : str or bytes
        Text is written as UTF-8.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{_PARTIAL}-{os.getpid()}-{time.monotonic_ns()}")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
