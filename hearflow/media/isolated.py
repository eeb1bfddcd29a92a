"""Decoding in a child process with a time limit: a file that makes a decoder hang (or spin in C
code holding the GIL, which no thread watchdog could stop) is killed and reported as
``decode_timeout``, and the run goes on with the next file.

Each decode forks this process (copy-on-write: no interpreter start, nothing imported again; a
fork server or spawn would re-run the caller's ``__main__``). The child decodes a block at a
time, resamples each block to the stages' rate and appends it to a memory file
(:mod:`hearflow.media.sample_file`) that this process then maps: neither process ever holds the
whole call at the file's own rate. ``bench/decode_isolation.py`` measures the cost.
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from multiprocessing.connection import Connection

from hearflow.errors import HearflowError, InputError
from hearflow.media.audio import STAGE_RATE
from hearflow.media.children import die_with_parent
from hearflow.media.sample_file import map_channels, memory_file, write_channels
from hearflow.models import Audio

_imported: set[str] = set()
_import_lock = threading.Lock()


def _import_first(decoder_classes) -> None:
    """Import the decoders' modules and libraries here, before any fork: a child forked while
    another thread holds an import lock would wait for it forever."""
    import importlib

    with _import_lock:
        wanted = {n for d in decoder_classes for n in (d.__module__, *d.requires)} | {"soxr"}  # the child resamples
        for name in wanted - _imported:
            try:
                importlib.import_module(name)
            except ImportError:
                pass  # an unavailable decoder is not chosen anyway
            _imported.add(name)


def decode_with_limit(decoder_class, path, *, format: str, sha256: str, size_bytes: int, seconds: float,
                      rate: int | None = STAGE_RATE, preload=()) -> Audio:
    """``decoder_class().blocks(...)`` in a forked child process, killed after ``seconds``, every
    channel resampled to ``rate`` Hz (None: the file's own rate).
    ``preload``: other decoder classes whose modules to import before the first fork."""
    _import_first([decoder_class, *preload])
    # The samples go through a memory file both processes hold, written once and mapped: a pipe
    # would bounce them through its 64 KiB buffer, a context switch each time.
    buffer = memory_file()
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
            _decode_child(Connection(write_end, readable=False), buffer, decoder_class, str(path), format, rate)
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
        channels, length, file_rate = _receive(receiver, path, decoder_class.name)
        try:
            samples = map_channels(buffer, channels, length)
        except ValueError:
            raise InputError(f"{path}: decoder '{decoder_class.name}' gave fewer samples than it said",
                             code="corrupt_audio") from None
        return Audio(samples, rate or file_rate, sha256, format, str(path), size_bytes, file_rate=file_rate)
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


def _receive(receiver: Connection, path, name: str) -> tuple[int, int, int]:
    """(channels, samples per channel, the file's rate), or the child's error raised here."""
    try:
        kind, payload = receiver.recv()
    except EOFError:  # the child died without a word: a crash in native code
        raise InputError(f"{path}: decoder '{name}' crashed", code="corrupt_audio",
                         hint="the file may be truncated or damaged; re-export it from the source system") from None
    if kind == "error":
        raise payload
    return payload


def _decode_child(sender: Connection, buffer: int, decoder_class, path: str, format: str, rate: int | None) -> None:
    try:
        file_rate, channels, blocks = decoder_class().blocks(path, format=format)
        length = write_channels(buffer, int(file_rate), int(channels), blocks, rate, path)
        sender.send(("audio", (int(channels), length, int(file_rate))))
    except HearflowError as exc:
        sender.send(("error", exc))
    except Exception as exc:  # not every exception pickles; its type and text always do
        sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")))
    finally:
        sender.close()
