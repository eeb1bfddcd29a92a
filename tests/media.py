"""Test media: synthetic calls converted to every supported format, and scoring helpers."""

from __future__ import annotations

import subprocess
import zipfile
from importlib import metadata
from pathlib import Path

from hearflow.evaluation.scoring import wer  # noqa: F401  (re-exported for the tests)


ROOT = Path(__file__).resolve().parent.parent

# name → (extension, extra ffmpeg args, expected channels given a stereo source)
FORMATS = {
    "wav": ("wav", [], 2),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"], 2),
    "mp4": ("mp4", ["-c:a", "aac", "-b:a", "96k"], 2),
    "m4a": ("m4a", ["-c:a", "aac", "-b:a", "96k"], 2),
    "ogg": ("ogg", ["-c:a", "libvorbis"], 2),
    "flac": ("flac", [], 2),
    "webm": ("webm", ["-c:a", "libopus"], 2),
    "aac": ("aac", ["-c:a", "aac", "-f", "adts"], 2),
    "ulaw": ("wav", ["-ar", "8000", "-c:a", "pcm_mulaw"], 2),
    "amr": ("amr", ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"], 1),
}


def ffmpeg_for(name: str) -> str:
    """Debian's ffmpeg cannot encode AMR; the imageio-ffmpeg build can."""
    if name == "amr":
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    return "ffmpeg"


def convert(source: Path, target: Path, name: str) -> Path:
    _, args, _ = FORMATS[name]
    subprocess.run([ffmpeg_for(name), "-loglevel", "error", "-y", "-i", str(source), *args, str(target)],
                   check=True)
    return target


def pyannote_sample(directory: Path) -> dict[str, Path]:
    """sample.wav/.rttm/.stm from the pyannote.audio distribution: installed, or its wheel on disk."""
    names = ("sample.wav", "sample.rttm", "sample.stm")
    try:
        dist = metadata.distribution("pyannote.audio")
        found = {n: Path(dist.locate_file(f"pyannote/audio/sample/{n}")) for n in names}
        if all(p.exists() for p in found.values()):
            return found
    except metadata.PackageNotFoundError:
        pass
    wheels = sorted((ROOT / ".cache" / "wheels").glob("pyannote_audio-*.whl"))
    assert wheels, "pyannote.audio wheel missing: run .ci/setup (it downloads it to .cache/wheels)"
    with zipfile.ZipFile(wheels[-1]) as archive:
        for n in names:
            (directory / n).write_bytes(archive.read(f"pyannote/audio/sample/{n}"))
    return {n: directory / n for n in names}


def spoken(text: str, voice: str, speed: int = 165):
    """``text`` read by espeak-ng with ``voice`` (e.g. ``hi`` for Hindi): float32 samples, rate."""
    import io

    import soundfile

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return samples, rate


AMI_LISTS = ("debug.train.lst", "debug.development.lst")
AMI_RTTMS = ("debug.train.rttm", "debug.development.rttm")


def ami_clips(directory: Path, only: tuple[str, ...] | None = None) -> dict[str, tuple[Path, list]]:
    """uri → (wav, reference turns) for the 30 s AMI clips of the pyannote.audio sdist's tests/data
    (the train and development lists; .ci/setup --test puts the sdist in .cache/wheels). The
    list names one clip ``trñ00`` whose RTTM uri is ``trn00``."""
    import tarfile
    from collections import defaultdict

    from hearflow.models import Turn

    sdists = sorted((ROOT / ".cache" / "wheels").glob("pyannote_audio-*.tar.gz"))
    assert sdists, "pyannote.audio sdist missing: run .ci/setup --test (it downloads it to .cache/wheels)"
    with tarfile.open(sdists[-1]) as archive:
        prefix = archive.getnames()[0].split("/")[0] + "/tests/data/"

        def read(name: str) -> bytes:
            return archive.extractfile(prefix + name).read()

        stems = [stem for lst in AMI_LISTS for stem in read(lst).decode().split()]
        turns = defaultdict(list)
        for line in b"".join(read(name) for name in AMI_RTTMS).decode().splitlines():
            fields = line.split()  # SPEAKER uri channel start duration <NA> <NA> speaker ...
            start, duration = float(fields[3]), float(fields[4])
            turns[fields[1]].append(Turn(start=start, end=start + duration, speaker=fields[7]))
        clips = {}
        for stem in stems:
            uri = stem.replace("ñ", "n")
            if only and uri not in only:
                continue
            wav = directory / f"{uri}.wav"
            wav.write_bytes(read(f"{stem}.wav"))
            clips[uri] = wav
    return {uri: (wav, turns[uri]) for uri, wav in clips.items()}
