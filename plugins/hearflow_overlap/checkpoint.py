"""Reading the two checkpoints without the libraries that wrote them.

The CAM++ file is a plain state dict, which ``torch.load(weights_only=True)`` reads. The
segmentation file is a Lightning checkpoint: besides tensors its pickle names a few pyannote
classes (the training task's specifications), so the safe loader refuses it. A restricted
unpickler lets through only tensor rebuilding and ordered dicts, turns every pyannote name into
an inert placeholder, and refuses anything else: no code from the file runs.
"""

from __future__ import annotations

import pickle
import types
from pathlib import Path

_ALLOWED = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "FloatStorage"),
    ("torch", "LongStorage"),
    ("torch.torch_version", "TorchVersion"),
}
_STUBBED_PREFIXES = ("pyannote.",)


class _Placeholder:
    """Stands in for a pyannote class: takes whatever state it is given and does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    @classmethod
    def _missing_(cls, value):  # enum-style reconstruction calls cls(value)
        return cls()


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.startswith(_STUBBED_PREFIXES):
            return type(name, (_Placeholder,), {"__module__": "hearflow_overlap.placeholders"})
        raise pickle.UnpicklingError(f"checkpoint names {module}.{name}, which is not allowed")


_restricted_pickle = types.SimpleNamespace(Unpickler=_RestrictedUnpickler, load=None, __name__="restricted_pickle")


def lightning_state_dict(path: Path) -> dict:
    """The ``state_dict`` of a Lightning checkpoint, its pyannote objects replaced by placeholders."""
    import torch

    checkpoint = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_restricted_pickle)
    return dict(checkpoint["state_dict"])


def plain_state_dict(path: Path) -> dict:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)
