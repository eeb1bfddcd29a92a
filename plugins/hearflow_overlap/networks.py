"""The two networks, written from their published descriptions so the shipped weights load into
them by name: PyanNet (pyannote's segmentation-3.0: SincNet front end, four bidirectional LSTM
layers, two linear layers, a seven-class powerset output) and CAM++ (3D-Speaker's speaker
embedding: a 2-D convolutional head over the filterbank, densely connected TDNN blocks with
context-aware masking, mean and standard-deviation pooling, a 192-d embedding).

Only inference matters here: no dropout, no training-time tricks. Module names follow the
checkpoints' keys, which is why some of them read like the original code's.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SEGMENTATION_RATE = 16000


# ----------------------------------------------------------------------------- segmentation

class SincFilters(nn.Module):
    """Band-pass filters parameterised by low cut-off and bandwidth (SincNet), half of them even
    (cosine) and half odd (sine). The filters are fixed once the weights are loaded, so they are
    built into an ordinary convolution kernel by :meth:`freeze`."""

    MIN_LOW_HZ = 50.0
    MIN_BAND_HZ = 50.0

    def __init__(self, pairs: int = 40, kernel_size: int = 251, stride: int = 10):
        super().__init__()
        half = kernel_size // 2
        self.stride = stride
        self.low_hz_ = nn.Parameter(torch.zeros(pairs, 1))
        self.band_hz_ = nn.Parameter(torch.zeros(pairs, 1))
        self.register_buffer("window_", torch.zeros(half))
        self.register_buffer("n_", torch.zeros(1, half))
        self.register_buffer("kernel", torch.zeros(2 * pairs, 1, kernel_size), persistent=False)

    @torch.no_grad()
    def freeze(self) -> None:
        low = self.MIN_LOW_HZ + self.low_hz_.abs()
        high = (low + self.MIN_BAND_HZ + self.band_hz_.abs()).clamp(self.MIN_LOW_HZ, SEGMENTATION_RATE / 2)
        width = high - low  # (pairs, 1)
        times = self.n_  # 2π t / rate for the left half, t < 0
        even_left = (torch.sin(high * times) - torch.sin(low * times)) / (times / 2) * self.window_
        odd_left = (torch.cos(low * times) - torch.cos(high * times)) / (times / 2) * self.window_
        even = torch.cat([even_left, 2 * width, even_left.flip(1)], dim=1)
        odd = torch.cat([odd_left, torch.zeros_like(width), -odd_left.flip(1)], dim=1)
        self.kernel = (torch.cat([even, odd]) / (2 * torch.cat([width, width])))[:, None, :]

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.conv1d(waveform, self.kernel, stride=self.stride)


class _SincEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.filterbank = SincFilters()

    def forward(self, waveform):
        return self.filterbank(waveform)


class SincNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.wav_norm1d = nn.InstanceNorm1d(1, affine=True)
        self.conv1d = nn.ModuleList([_SincEncoder(), nn.Conv1d(80, 60, 5), nn.Conv1d(60, 60, 5)])
        self.pool1d = nn.ModuleList([nn.MaxPool1d(3, stride=3) for _ in range(3)])
        self.norm1d = nn.ModuleList([nn.InstanceNorm1d(size, affine=True) for size in (80, 60, 60)])

    def forward(self, waveform):
        out = self.wav_norm1d(waveform)
        for index, (conv, pool, norm) in enumerate(zip(self.conv1d, self.pool1d, self.norm1d)):
            out = conv(out)
            if index == 0:
                out = out.abs()  # the sinc responses' magnitude
            out = F.leaky_relu(norm(pool(out)))
        return out


class PyanNet(nn.Module):
    """(batch, 1, samples at 16 kHz) → (batch, frames, 7) powerset log-probabilities."""

    def __init__(self):
        super().__init__()
        self.sincnet = SincNet()
        self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
        self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
        self.classifier = nn.Linear(128, 7)

    def forward(self, waveform):
        features = self.sincnet(waveform).transpose(1, 2)
        out, _ = self.lstm(features)
        for layer in self.linear:
            out = F.leaky_relu(layer(out))
        return F.log_softmax(self.classifier(out), dim=-1)


def frames_of(samples: int) -> int:
    """How many output frames PyanNet gives for ``samples`` input samples."""
    size = (samples - 251) // 10 + 1
    for conv_kernel in (None, 5, 5):
        if conv_kernel:
            size = size - conv_kernel + 1
        size //= 3
    return size


# ----------------------------------------------------------------------------- CAM++

def _batchnorm_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(_named(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU()))


def _named(**modules):
    from collections import OrderedDict

    return OrderedDict(modules)


class _ResBlock2d(nn.Module):
    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False),
                                          nn.BatchNorm2d(channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class _FrequencyHead(nn.Module):
    """2-D convolutions over (frequency, time); frequency shrinks 8×, then folds into channels."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResBlock2d(channels, 2), _ResBlock2d(channels, 1))
        self.layer2 = nn.Sequential(_ResBlock2d(channels, 2), _ResBlock2d(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, fbank):  # (batch, 80, frames)
        out = F.relu(self.bn1(self.conv1(fbank[:, None])))
        out = self.layer2(self.layer1(out))
        out = F.relu(self.bn2(self.conv2(out)))
        return out.flatten(1, 2)


class _ContextMask(nn.Module):
    """A local convolution scaled by a gate computed from the utterance mean plus 100-frame
    segment means (the last segment over its real frames): context-aware masking."""

    SEGMENT = 100

    def __init__(self, channels: int, out: int, dilation: int):
        super().__init__()
        self.linear_local = nn.Conv1d(channels, out, 3, padding=dilation, dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(channels, channels // 2, 1)
        self.linear2 = nn.Conv1d(channels // 2, out, 1)

    def forward(self, x):
        # The context is constant over each segment, so the gate is computed once per segment and
        # only its few channels are spread back over the frames: the same result as gating every
        # frame, for a fraction of the work (per frame it cost a third of the network's time).
        frames = x.shape[-1]
        segments = (frames + self.SEGMENT - 1) // self.SEGMENT
        sums = F.pad(x, (0, segments * self.SEGMENT - frames)).unflatten(-1, (segments, self.SEGMENT)).sum(-1)
        counts = torch.clamp(frames - torch.arange(segments, device=x.device) * self.SEGMENT, max=self.SEGMENT)
        context = sums.sum(-1, keepdim=True) / frames + sums / counts.to(x.dtype)
        gate = torch.sigmoid(self.linear2(F.relu(self.linear1(context))))  # (batch, out, segments)
        spread = gate.unsqueeze(-1).expand(-1, -1, -1, self.SEGMENT).flatten(-2)[..., :frames]
        return self.linear_local(x) * spread


class _DenseLayer(nn.Module):
    def __init__(self, channels: int, dilation: int, growth: int = 32, bottleneck: int = 128):
        super().__init__()
        self.nonlinear1 = _batchnorm_relu(channels)
        self.linear1 = nn.Conv1d(channels, bottleneck, 1, bias=False)
        self.nonlinear2 = _batchnorm_relu(bottleneck)
        self.cam_layer = _ContextMask(bottleneck, growth, dilation)

    def forward(self, x):
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _DenseBlock(nn.Module):
    def __init__(self, layers: int, channels: int, dilation: int, growth: int = 32):
        super().__init__()
        for i in range(layers):
            self.add_module(f"tdnnd{i + 1}", _DenseLayer(channels + i * growth, dilation))

    def forward(self, x):
        for layer in self.children():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Conv(nn.Module):
    """A 1-D convolution with batch norm (and ReLU) on the side the checkpoint puts it."""

    def __init__(self, inputs: int, outputs: int, kernel: int = 1, stride: int = 1, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.linear = nn.Conv1d(inputs, outputs, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.nonlinear = _batchnorm_relu(inputs if norm_first else outputs)

    def forward(self, x):
        return self.linear(self.nonlinear(x)) if self.norm_first else self.nonlinear(self.linear(x))


class _Embedding(nn.Module):
    def __init__(self, inputs: int, size: int):
        super().__init__()
        self.linear = nn.Conv1d(inputs, size, 1, bias=False)
        self.nonlinear = nn.Sequential(_named(batchnorm=nn.BatchNorm1d(size, affine=False)))

    def forward(self, stats):
        return self.nonlinear(self.linear(stats[..., None]))[..., 0]


class CamPlusPlus(nn.Module):
    """(batch, frames, 80) mean-normalised log filterbank → (batch, 192) speaker embedding."""

    def __init__(self, embedding_size: int = 192):
        super().__init__()
        self.head = _FrequencyHead()
        modules = {"tdnn": _Conv(320, 128, kernel=5, stride=2)}
        channels = 128
        for index, (layers, dilation) in enumerate(((12, 1), (24, 2), (16, 2)), start=1):
            modules[f"block{index}"] = _DenseBlock(layers, channels, dilation)
            channels += layers * 32
            modules[f"transit{index}"] = _Conv(channels, channels // 2, norm_first=True)
            channels //= 2
        modules["out_nonlinear"] = _batchnorm_relu(channels)
        self.xvector = nn.Sequential(_named(**modules))
        self.dense = _Embedding(2 * channels, embedding_size)

    def forward(self, fbank):
        frames = self.xvector(self.head(fbank.transpose(1, 2)))
        stats = torch.cat([frames.mean(-1), frames.std(-1)], dim=-1)
        return self.dense(stats)

    def load_checkpoint(self, state: dict) -> None:
        # The checkpoint keeps the embedding layer inside ``xvector``; here it sits apart so the
        # pooling between them stays visible.
        renamed = {(("dense." + k[len("xvector.dense."):]) if k.startswith("xvector.dense.") else k): v
                   for k, v in state.items()}
        self.load_state_dict(renamed)
