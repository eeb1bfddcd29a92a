"""The ``nemo`` separator: NeMo's multi-scale clustering diarizer on a speaker-embedding model.

The speaker model is a ``.nemo`` file (TitaNet, ECAPA-TDNN or any ``EncDecSpeakerLabelModel``)
or a model name NeMo resolves from NGC. Speech regions come from the shipped Silero VAD and are
handed to NeMo as an external VAD manifest, so no VAD model has to be fetched. NeMo works on
files, so each call is written to a private temporary directory at 16 kHz and read back from
the RTTM that NeMo writes; the directory is removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import warnings
from pathlib import Path

from pydantic import Field, model_validator

from hearflow import (VAD_RATE, ConfigError, MonoDiarizer, choose_device, local_or_hub, named_turns, read_rttm,
                      resample, speech_regions, torch_gpus)

MODEL_HINT = "pass model=FILE.nemo with a local speaker-embedding model, or an NGC model name where NGC is reachable"
UNIQUE_ID = "call"  # NeMo keys every file by this name; each call has its own directory

_LOCK = threading.Lock()  # the diarizer rewrites its output directory and touches torch's global autocast


class NemoDiarizer(MonoDiarizer):
    name = "nemo"
    description = "NVIDIA NeMo clustering diarizer on a speaker-embedding .nemo (TitaNet, ECAPA)"
    requires = ("nemo.collections.asr", "silero_vad")
    extra = "nemo"
    install_note = "in a venv of its own: NeMo pins older lightning, fsspec and packaging"

    class Options(MonoDiarizer.Options):
        model: str = Field(default="titanet_large", description=".nemo file or NGC model name")
        max_speakers: int | None = Field(default=8, ge=1, description="NeMo's max_num_speakers")
        # NeMo's telephonic defaults: five scales, the shortest one sets the output resolution.
        windows: tuple[float, ...] = (1.5, 1.25, 1.0, 0.75, 0.5)
        shifts: tuple[float, ...] = (0.75, 0.625, 0.5, 0.375, 0.25)
        vad_threshold: float = Field(default=0.5, gt=0, lt=1)

        @model_validator(mode="after")
        def _what_nemo_takes(self):
            if self.min_speakers > 1 and self.num_speakers is None:
                raise ValueError("NeMo's clustering takes num_speakers or max_speakers, not min_speakers")
            if len(self.windows) != len(self.shifts) or not self.windows:
                raise ValueError("windows and shifts need one entry per scale")
            return self

    def model_reference(self) -> str:
        return local_or_hub(self.options.model, what="NeMo speaker model", hint=MODEL_HINT)

    def prepare(self) -> None:
        self.model_reference()
        self.device()

    def device(self) -> str:
        return choose_device(self.options.device, torch_gpus(), "PyTorch")

    def diarize(self, samples, sample_rate: int):
        speech = resample(samples, sample_rate, VAD_RATE)
        regions = speech_regions(speech, threshold=self.options.vad_threshold)
        return self._cluster(speech, regions) if regions else []

    def _cluster(self, speech, regions: list[tuple[float, float]]):
        """Turns of 16 kHz mono ``speech`` whose speech ``regions`` are known."""
        import soundfile

        with tempfile.TemporaryDirectory(prefix="hearflow-nemo-") as tmp:
            work = Path(tmp)
            wav = work / f"{UNIQUE_ID}.wav"
            soundfile.write(wav, speech, VAD_RATE)
            manifest = self._write_manifests(work, wav, len(speech) / VAD_RATE, regions)
            with _LOCK:
                _run(self._config(work, manifest, self.model_reference()))
            return named_turns(read_rttm(work / "pred_rttms" / f"{UNIQUE_ID}.rttm"))

    def _write_manifests(self, work: Path, wav: Path, duration: float, regions) -> tuple[Path, Path]:
        call = work / "input_manifest.json"
        call.write_text(json.dumps({
            "audio_filepath": str(wav), "offset": 0, "duration": duration, "label": "infer", "text": "-",
            "num_speakers": self.options.num_speakers, "rttm_filepath": None, "uem_filepath": None}) + "\n")
        vad = work / "vad_manifest.json"
        vad.write_text("".join(json.dumps({
            "audio_filepath": str(wav), "offset": round(start, 3), "duration": round(end - start, 3),
            "label": "UNK", "uniq_id": UNIQUE_ID}) + "\n" for start, end in regions))
        return call, vad

    def _config(self, work: Path, manifests: tuple[Path, Path], model: str) -> dict:
        call, vad = manifests
        options = self.options
        return {
            "name": "ClusterDiarizer", "device": self.device(), "num_workers": 0, "sample_rate": VAD_RATE,
            "batch_size": 64, "verbose": False,
            "diarizer": {
                "manifest_filepath": str(call), "out_dir": str(work), "oracle_vad": False,
                "collar": 0.25, "ignore_overlap": True,
                "vad": {"model_path": None, "external_vad_manifest": str(vad), "parameters": {}},
                "speaker_embeddings": {
                    "model_path": model,
                    "parameters": {
                        "window_length_in_sec": list(options.windows),
                        "shift_length_in_sec": list(options.shifts),
                        "multiscale_weights": [1] * len(options.windows),
                        "save_embeddings": False,
                    },
                },
                "clustering": {"parameters": {
                    "oracle_num_speakers": options.num_speakers is not None,
                    "max_num_speakers": options.num_speakers or options.max_speakers or 8,
                    "enhanced_count_thres": 80, "max_rp_threshold": 0.25, "sparse_search_volume": 30,
                    "maj_vote_spk_count": False, "chunk_cluster_count": 50, "embeddings_per_chunk": 10000,
                }},
            },
        }


def _run(config: dict) -> None:
    _quiet_nemo()
    import torch
    from nemo.collections.asr.models import ClusteringDiarizer
    from omegaconf import OmegaConf

    model = config["diarizer"]["speaker_embeddings"]["model_path"]
    try:
        diarizer = ClusteringDiarizer(cfg=OmegaConf.create(config))
    except Exception as exc:  # file, archive and NGC errors all mean: no usable model
        raise ConfigError(f"NeMo speaker model '{model}' could not be loaded ({type(exc).__name__}: {exc})",
                          code="model_unavailable", hint=MODEL_HINT) from None
    with _float32_on_cpu(), torch.inference_mode():
        diarizer.diarize()


@contextlib.contextmanager
def _float32_on_cpu():
    """NeMo wraps embedding extraction in autocast, which on the CPU means bfloat16: slower here
    and less precise. A float32 autocast type turns that autocast off; restored afterwards."""
    import torch

    previous = torch.get_autocast_dtype("cpu")
    torch.set_autocast_dtype("cpu", torch.float32)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="In CPU autocast")
            yield
    finally:
        torch.set_autocast_dtype("cpu", previous)


def _quiet_nemo() -> None:
    """NeMo logs each step at INFO and its telemetry warns that it is off; errors still show."""
    import logging

    logging.getLogger("nv_one_logger").setLevel(logging.ERROR)
    from nemo.utils import logging as nemo_logging

    nemo_logging.setLevel(logging.ERROR)

