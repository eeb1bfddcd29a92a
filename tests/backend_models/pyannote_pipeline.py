"""Build a pyannote.audio speaker-diarization pipeline directory from models with random weights.

Run with the pyannote environment's Python: ``python pyannote_pipeline.py OUT_DIR``. It writes
what a hub pipeline holds (``config.yaml``, ``segmentation/``, ``embedding/``, ``plda/``), so
``Pipeline.from_pretrained(OUT_DIR)`` loads it the way it loads a downloaded one. The turns mean
nothing; the point is that the real loading and adapter code runs, offline.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RATE = 16000


def save_checkpoint(model, path: Path) -> None:
    """The checkpoint layout Model.from_pretrained reads: weights, constructor arguments, and the
    architecture and task specifications that on_save_checkpoint adds."""
    import lightning
    import torch

    checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams),
                  "pytorch-lightning_version": lightning.__version__}
    model.on_save_checkpoint(checkpoint)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)


def voiced_bursts(seconds: int = 40, seed: int = 0):
    """Harmonic bursts of random pitch and loudness between short pauses: speech-like enough to
    set the random classifier's scale."""
    import numpy as np
    import torch

    rng = np.random.default_rng(seed)
    signal = np.zeros(seconds * RATE, dtype=np.float32)
    position = 0
    while position < len(signal):
        length = int(RATE * rng.uniform(0.2, 1.7))
        t = np.arange(length) / RATE
        pitch = rng.uniform(80, 300)
        burst = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 10)) * np.hanning(length)
        end = min(len(signal), position + length)
        signal[position:end] += (burst * rng.uniform(0.05, 0.45))[: end - position]
        position = end + int(RATE * rng.uniform(0.05, 0.65))
    return torch.from_numpy(signal + 0.003 * rng.standard_normal(len(signal)).astype(np.float32))


def segmentation_model():
    """PyanNet with segmentation-3.0's task: powerset over 3 local speakers, at most 2 at once.

    Random biases swamp the random features' variation over time, so every frame would get the
    same class. The classifier is rescaled on speech-like audio (weights stay random) and nudged
    towards single-speaker classes, which clustering needs."""
    import torch
    import torch.nn.functional as F
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.segmentation import PyanNet

    model = PyanNet(sincnet={"stride": 10},
                    lstm={"hidden_size": 64, "num_layers": 2, "bidirectional": True, "monolithic": True,
                          "dropout": 0.0},
                    linear={"hidden_size": 64, "num_layers": 2})
    model.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION, resolution=Resolution.FRAME, duration=10.0,
        min_duration=None, warm_up=(0.0, 0.0), classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2, permutation_invariant=True)
    model.build()
    model.eval()
    with torch.no_grad():
        audio = voiced_bursts()
        chunk = int(model.specifications.duration * RATE)
        batch = audio[: len(audio) // chunk * chunk].reshape(-1, 1, chunk)
        features, _ = model.lstm(model.sincnet(batch).transpose(1, 2))
        for linear in model.linear:
            features = F.leaky_relu(linear(features))
        features = features.reshape(-1, features.shape[-1])
        mean, spread = features.mean(0), features.std(0) + 1e-6
        weight = model.classifier.weight / model.classifier.weight.norm(dim=1, keepdim=True) / spread
        bias = -(weight @ mean)
        bias[1:4] += 2.0  # the classes {speaker 1}, {speaker 2}, {speaker 3}
        model.classifier.weight.copy_(weight)
        model.classifier.bias.copy_(bias)
    return model


def embedding_model():
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import XVectorSincNet

    model = XVectorSincNet(dimension=256)
    model.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK,
                                          duration=5.0)
    model.build()
    return model.eval()


def write_plda(directory: Path, dimension: int, reduced: int = 128) -> None:
    """Well-formed PLDA files: the pipeline loads them whatever clustering it uses."""
    import numpy as np

    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    basis, _ = np.linalg.qr(rng.standard_normal((dimension, dimension)))
    np.savez(directory / "xvec_transform.npz", mean1=np.zeros(dimension), mean2=np.zeros(reduced),
             lda=basis[:, :reduced])
    np.savez(directory / "plda.npz", mu=np.zeros(reduced), tr=np.eye(reduced),
             psi=np.sort(rng.uniform(0.5, 5.0, reduced))[::-1].copy())


def write_config(out: Path) -> None:
    import yaml
    from pyannote.audio import __version__

    config = {
        "dependencies": {"pyannote.audio": __version__},
        "pipeline": {
            "name": "pyannote.audio.pipelines.SpeakerDiarization",
            "params": {
                "segmentation": "$model/segmentation", "segmentation_step": 0.5,
                "segmentation_batch_size": 32, "embedding": "$model/embedding", "embedding_batch_size": 32,
                "embedding_exclude_overlap": True, "plda": "$model/plda", "clustering": "AgglomerativeClustering",
            },
        },
        "params": {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7},
        },
    }
    (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def main(out: Path) -> None:
    import torch

    torch.manual_seed(0)
    save_checkpoint(segmentation_model(), out / "segmentation" / "pytorch_model.bin")
    embedding = embedding_model()
    save_checkpoint(embedding, out / "embedding" / "pytorch_model.bin")
    write_plda(out / "plda", embedding.dimension)
    write_config(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
