"""Writing files so that readers never see half of one.

Every file Atelier writes that another process (or a later run) may read goes
through :func:`write_atomically` (bytes in memory) or :func:`open_atomically`
(a stream, e.g. a download): the data goes to a hidden temporary file beside
the target, which is renamed over the target only once it is complete.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def open_atomically(target: Path, *, durable: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write that appears as ``target`` only when the block ends without an error.

    Inside the block the data lives in ``.<name>.<random>.part`` beside the
    target, opened for reading too, so it can be read back (``seek(0)``) and
    checked before it is renamed into place. Any exception (Ctrl-C included) removes it and leaves
    the old ``target`` (or none). ``durable`` flushes to disk before the
    rename, for files whose presence means "installed".
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(target: Path, data: bytes, *, durable: bool = False) -> Path:
    """Write ``data`` to ``target`` through a temporary file and a rename.

    A crash mid-write leaves the old file (or none), never a truncated one that
    a later run would take for finished. ``durable`` also flushes to disk
    before the rename, for files whose presence means "installed".
    """
    target = Path(target)
    with open_atomically(target, durable=durable) as fh:
        fh.write(data)
    return target


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_HASHES: dict[tuple[str, int, int], str] = {}
_HASHES_LOCK = threading.Lock()


def cached_sha256(path: Path) -> str:
    """:func:`sha256_file`, remembered while the file's size and mtime stay the same (pages ask often)."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    with _HASHES_LOCK:
        if key in _HASHES:
            return _HASHES[key]
    digest = sha256_file(path)
    with _HASHES_LOCK:
        _HASHES[key] = digest
    return digest
