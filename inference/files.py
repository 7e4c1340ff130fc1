"""Writing files so that readers never see half of one.

Every file Atelier writes that another process (or a later run) may read goes
through :func:`write_atomically` (bytes in memory) or :func:`open_atomically`
(a stream, e.g. a download): the data goes to a hidden temporary file beside
the target, which is renamed over the target only once it is complete.
"""

from __future__ import annotations

import os
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
