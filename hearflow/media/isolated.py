"""Decoding in a child process with a time limit: a file that makes a decoder hang (or spin in C
code holding the GIL, which no thread watchdog could stop) is killed and reported as
``decode_timeout``, and the run goes on with the next file.

Each decode forks this process (copy-on-write: no interpreter start, nothing imported again; a
fork server or spawn would re-run the caller's ``__main__``) and copies the samples back
through a pipe once. ``bench/decode_isolation.py`` measures the cost.
"""

from __future__ import annotations

import mmap
import os
import signal
import tempfile
import threading
import traceback
from multiprocessing.connection import Connection

import numpy as np

from hearflow.errors import HearflowError, InputError
from hearflow.models import Audio
from hearflow.media.children import die_with_parent

_imported: set[str] = set()
_import_lock = threading.Lock()


def _import_first(decoder_classes) -> None:
    """Import the decoders' modules and libraries here, before any fork: a child forked while
    another thread holds an import lock would wait for it forever."""
    import importlib

    with _import_lock:
        for name in {n for d in decoder_classes for n in (d.__module__, *d.requires)} - _imported:
            try:
                importlib.import_module(name)
            except ImportError:
                pass  # an unavailable decoder is not chosen anyway
            _imported.add(name)


def decode_with_limit(decoder_class, path, *, format: str, sha256: str, size_bytes: int, seconds: float,
                      preload=()) -> Audio:
    """``decoder_class().decode(...)`` in a forked child process, killed after ``seconds``.
    ``preload``: other decoder classes whose modules to import before the first fork."""
    _import_first([decoder_class, *preload])
    # The samples go through a memory file both processes hold, written once and mapped: a pipe
    # would bounce them through its 64 KiB buffer, a context switch each time.
    buffer = _memory_file()
    read_end, write_end = os.pipe()
    parent = os.getpid()
    # os.fork, not multiprocessing: no bootstrap, no re-import of __main__, and it works in a
    # daemonic worker process too (a Dask worker), where multiprocessing refuses children.
    pid = os.fork()
    if pid == 0:  # the child: decode, report, and leave without running the parent's atexit hooks
        try:
            die_with_parent()  # a hung decode must not outlive a killed hearflow
            if os.getppid() != parent:  # the parent died before that took effect
                os._exit(1)
            os.close(read_end)
            _decode_child(Connection(write_end, readable=False), buffer, decoder_class, str(path), format,
                          sha256, size_bytes)
        finally:
            os._exit(0)
    os.close(write_end)
    receiver = Connection(read_end, writable=False)
    try:
        if not receiver.poll(seconds):
            raise InputError(f"{path}: decoder '{decoder_class.name}' did not finish within {seconds:g} s",
                             code="decode_timeout",
                             hint="the file may be crafted or damaged; raise decode_timeout in the settings "
                                  "if it is a genuine, very long recording")
        return _receive(receiver, buffer, path, decoder_class.name)
    finally:
        receiver.close()
        os.close(buffer)
        _reap(pid)


def _reap(pid: int) -> None:
    """Kill the child if it is still there (a hang), and collect it either way: no zombie."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _memory_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("hearflow-decode", os.MFD_CLOEXEC)
    handle = tempfile.TemporaryFile()  # elsewhere: an unlinked temporary file
    return os.dup(handle.fileno())


def _receive(receiver: Connection, buffer: int, path, name: str) -> Audio:
    try:
        kind, payload = receiver.recv()
    except EOFError:  # the child died without a word: a crash in native code
        raise InputError(f"{path}: decoder '{name}' crashed", code="corrupt_audio",
                         hint="the file may be truncated or damaged; re-export it from the source system") from None
    if kind == "error":
        raise payload
    shape, fields = payload
    size = int(np.prod(shape)) * np.dtype(np.float32).itemsize
    if size == 0:
        return Audio(np.zeros(shape, dtype=np.float32), **fields)
    if os.fstat(buffer).st_size < size:
        raise InputError(f"{path}: decoder '{name}' gave fewer samples than it said", code="corrupt_audio")
    # Mapped, not read: no second copy. Private, so writing to the array changes nothing shared.
    mapped = mmap.mmap(buffer, size, flags=mmap.MAP_PRIVATE)
    samples = np.frombuffer(mapped, dtype=np.float32).reshape(shape)
    return Audio(samples, **fields)


def _decode_child(sender: Connection, buffer: int, decoder_class, path: str, format: str, sha256: str,
                  size_bytes: int) -> None:
    try:
        audio = decoder_class().decode(path, format=format, sha256=sha256, size_bytes=size_bytes)
        samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
        view, done = memoryview(samples).cast("B"), 0
        while done < len(view):
            done += os.pwrite(buffer, view[done:], done)
        fields = {"sample_rate": audio.sample_rate, "sha256": audio.sha256, "format": audio.format,
                  "source": audio.source, "size_bytes": audio.size_bytes}
        sender.send(("audio", (samples.shape, fields)))
    except HearflowError as exc:
        sender.send(("error", exc))
    except Exception as exc:  # not every exception pickles; its type and text always do
        sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")))
    finally:
        sender.close()
