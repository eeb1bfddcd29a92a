"""Build a small TitaNet-shaped NeMo speaker-embedding model with random weights, as a .nemo file.

Run with the NeMo environment's Python: ``python nemo_speaker_model.py OUT.nemo``. The weights
are random, so its turns mean nothing; what it proves is that the real NeMo loading and
diarization code runs from a local file with no download.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MELS, CHANNELS, POOLED, EMBEDDING = 64, 64, 256, 64  # TitaNet-S: 80, 256, 3072, 192


def jasper_block(filters: int, kernel: int, repeat: int, residual: bool, separable: bool = True) -> dict:
    return {"filters": filters, "repeat": repeat, "kernel": [kernel], "stride": [1], "dilation": [1],
            "dropout": 0.0, "residual": residual, "separable": separable, "se": separable,
            "se_context_size": -1}


def config() -> dict:
    return {
        "sample_rate": 16000,
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "normalize": "per_feature", "window_size": 0.025, "window_stride": 0.01, "window": "hann",
            "sample_rate": 16000, "features": MELS, "n_fft": 512, "frame_splicing": 1, "dither": 0.0,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConvASREncoder",
            "feat_in": MELS, "activation": "relu", "conv_mask": True,
            "jasper": [jasper_block(CHANNELS, 3, 1, residual=False), jasper_block(CHANNELS, 7, 2, residual=True),
                       jasper_block(CHANNELS, 11, 2, residual=True),
                       jasper_block(POOLED, 1, 1, residual=False, separable=False)],
        },
        "decoder": {
            "_target_": "nemo.collections.asr.modules.SpeakerDecoder",
            "feat_in": POOLED, "num_classes": 8, "pool_mode": "attention", "emb_sizes": EMBEDDING,
            "attention_channels": 32,
        },
        "loss": {"_target_": "nemo.collections.asr.losses.angularloss.AngularSoftmaxLoss", "scale": 30,
                 "margin": 0.2},
    }


def main(out: str) -> None:
    import torch
    from nemo.collections.asr.models import EncDecSpeakerLabelModel
    from omegaconf import OmegaConf

    torch.manual_seed(0)
    model = EncDecSpeakerLabelModel(cfg=OmegaConf.create(config()))
    model.eval()
    model.save_to(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1])
