"""Decoding in a child process with a time limit: a file that makes a decoder hang (or spin in C
code holding the GIL, which no thread watchdog could stop) is killed and reported as
``decode_timeout``, and the run goes on with the next file.

Children are forked from a small server process that has the decoder modules loaded already
(multiprocessing's forkserver), so each decode costs a fork and one copy of the samples through
a pipe, not an interpreter start. ``bench/decode_isolation.py`` measures it.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from multiprocessing.connection import Connection

import numpy as np

from hearflow.errors import HearflowError, InputError
from hearflow.models import Audio

_context = None
_context_lock = threading.Lock()


def _forkserver(decoder_classes):
    """The forkserver context, its server preloading the decoders' modules and libraries (set on
    first use: the server starts with the first child)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            modules = {name for d in decoder_classes for name in (d.__module__, *d.requires)}
            context.set_forkserver_preload(["numpy", "hearflow.models", *sorted(modules)])
            _context = context
        return _context


def decode_with_limit(decoder_class, path, *, format: str, sha256: str, size_bytes: int, seconds: float,
                      preload=()) -> Audio:
    """``decoder_class().decode(...)`` in a child process, killed after ``seconds``. ``preload``:
    the decoder classes whose modules the fork server should load once."""
    context = _forkserver([decoder_class, *preload])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_decode_child, daemon=True, name=f"hearflow-decode-{decoder_class.name}",
                                  args=(sender, decoder_class, str(path), format, sha256, size_bytes))
    child.start()
    sender.close()  # the child holds its own end; the parent must not, or EOF never comes
    try:
        if not receiver.poll(seconds):
            raise InputError(f"{path}: decoder '{decoder_class.name}' did not finish within {seconds:g} s",
                             code="decode_timeout",
                             hint="the file may be crafted or damaged; raise decode_timeout in the settings "
                                  "if it is a genuine, very long recording")
        return _receive(receiver, path, decoder_class.name)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)


def _receive(receiver: Connection, path, name: str) -> Audio:
    try:
        kind, payload = receiver.recv()
        if kind == "error":
            raise payload
        shape, fields = payload
        samples = np.empty(shape, dtype=np.float32)
        receiver.recv_bytes_into(memoryview(samples).cast("B"))
    except EOFError:  # the child died without a word: a crash in native code
        raise InputError(f"{path}: decoder '{name}' crashed", code="corrupt_audio",
                         hint="the file may be truncated or damaged; re-export it from the source system") from None
    return Audio(samples, **fields)


def _decode_child(sender: Connection, decoder_class, path: str, format: str, sha256: str, size_bytes: int) -> None:
    try:
        audio = decoder_class().decode(path, format=format, sha256=sha256, size_bytes=size_bytes)
        samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
        fields = {"sample_rate": audio.sample_rate, "sha256": audio.sha256, "format": audio.format,
                  "source": audio.source, "size_bytes": audio.size_bytes}
        sender.send(("audio", (samples.shape, fields)))
        sender.send_bytes(memoryview(samples).cast("B"))
    except HearflowError as exc:
        sender.send(("error", exc))
    except Exception as exc:  # not every exception pickles; its type and text always do
        sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")))
    finally:
        sender.close()
