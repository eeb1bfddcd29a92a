"""A fuzz of damaged recordings: truncations, bit flips and header lies on every supported container,
each fed to the real fingerprint and decoders (in their time-limited child processes).

Every case must end in a decoded recording or a coded error; anything else (a traceback, a hang
past the limit that is not coded) is a failure. ``tests/test_fuzz.py`` runs a sample in CI; the
whole set runs on demand and prints the counts:

    .venv/bin/python tests/fuzz_inputs.py            # every mutation of every container
    .venv/bin/python tests/fuzz_inputs.py --sample 3 # three mutations of each kind per container
"""

from __future__ import annotations

import argparse
import random
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # media.py, when run as a script

from media import FORMATS, convert  # noqa: E402

Mutation = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Case:
    container: str
    kind: str  # truncation, bit flip, header lie
    name: str
    data: bytes


def _truncations(data: bytes) -> Iterator[tuple[str, Mutation]]:
    for cut in (1, 4, 12, 44, 64, 200):
        yield f"first {cut} bytes", lambda d, c=cut: d[:c]
    for fraction in (0.1, 0.5, 0.9):
        yield f"first {fraction:.0%}", lambda d, f=fraction: d[:int(len(d) * f)]
    yield "all but the last byte", lambda d: d[:-1]


def _bit_flips(data: bytes) -> Iterator[tuple[str, Mutation]]:
    for seed in range(12):
        region = "header" if seed < 8 else "body"

        def flip(d: bytes, seed=seed, region=region) -> bytes:
            rng = random.Random(seed)
            out = bytearray(d)
            start, stop = (0, min(64, len(d))) if region == "header" else (64, len(d))
            for _ in range(1 + seed % 4):
                index = rng.randrange(start, stop)
                out[index] ^= 1 << rng.randrange(8)
            return bytes(out)

        yield f"{1 + seed % 4} bit(s) flipped in the {region} (seed {seed})", flip


def _header_lies(data: bytes) -> Iterator[tuple[str, Mutation]]:
    """32-bit fields of the first 64 bytes set to 0 and to 0xFFFFFFFF: sizes, rates, counts."""
    for offset in range(4, 64, 4):
        for value in (0, 0xFFFFFFFF):
            yield f"32-bit field at {offset} = {value:#x}", lambda d, o=offset, v=value: (
                d[:o] + struct.pack("<I", v) + d[o + 4:])


def _wav_lies(data: bytes) -> Iterator[tuple[str, Mutation]]:
    """The WAV fields a reader trusts: channels, rate, block align, bits, and the data size."""
    fields = {"channels": (22, "<H"), "sample rate": (24, "<I"), "block align": (32, "<H"),
              "bits per sample": (34, "<H"), "data size": (40, "<I")}
    for name, (offset, layout) in fields.items():
        for value in (0, 3, 0xFFFF if layout == "<H" else 0xFFFFFFFF):
            yield f"{name} = {value}", lambda d, o=offset, f=layout, v=value: (
                d[:o] + struct.pack(f, v) + d[o + struct.calcsize(f):])


KINDS = {"truncation": _truncations, "bit flip": _bit_flips, "header lie": _header_lies}


def samples(directory: Path) -> dict[str, bytes]:
    """A 2-second stereo recording (two tones, one per channel) in every supported container."""
    source = directory / "source.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-b", "16", "-c", "2", str(source), "synth", "2",
                    "sine", "440", "sine", "660"], check=True)
    files = {}
    for name, (extension, _, _) in FORMATS.items():
        files[name] = convert(source, directory / f"sample-{name}.{extension}", name).read_bytes()
    return files


def cases(recordings: dict[str, bytes], per_kind: int | None = None) -> Iterator[Case]:
    """Every mutation of every container; ``per_kind`` picks that many of each kind, spread evenly."""
    for container, data in recordings.items():
        kinds = dict(KINDS)
        if FORMATS[container][0] == "wav":
            kinds["header lie"] = lambda d: (*_header_lies(d), *_wav_lies(d))
        for kind, mutations in kinds.items():
            chosen = list(mutations(data))
            if per_kind is not None:
                step = max(1, len(chosen) // per_kind)
                chosen = chosen[::step][:per_kind]
            for name, mutate in chosen:
                yield Case(container, kind, name, mutate(data))


@dataclass
class Outcome:
    case: Case
    result: str  # decoded | coded | uncoded
    detail: str
    seconds: float


def run(all_cases: list[Case], directory: Path, decode_timeout: float = 20.0) -> list[Outcome]:
    from hearflow.errors import HearflowError
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    engine = Engine(AnalyzeSettings(decode_timeout=decode_timeout, analyzer="none"))
    outcomes = []
    for index, case in enumerate(all_cases):
        extension = FORMATS[case.container][0]
        path = directory / f"case-{index}.{extension}"
        path.write_bytes(case.data)
        started = time.monotonic()
        try:
            audio = engine.decode(engine.fingerprint(path))
            result, detail = "decoded", f"{audio.channels} ch, {audio.duration:.2f} s"
        except HearflowError as exc:
            result, detail = "coded", exc.code
        except Exception as exc:  # what the fuzz is looking for
            result, detail = "uncoded", f"{type(exc).__name__}: {exc}"
        outcomes.append(Outcome(case, result, detail, time.monotonic() - started))
        path.unlink()
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    kinds = {(o.case.container, o.case.kind) for o in outcomes}
    results = Counter(o.result for o in outcomes)
    codes = Counter(o.detail for o in outcomes if o.result == "coded")
    lines = [f"{len(outcomes)} cases of {len(kinds)} kinds ({len({o.case.container for o in outcomes})} "
             f"containers × {len({o.case.kind for o in outcomes})} mutation kinds): "
             f"{results['coded']} coded errors, {results['decoded']} decoded, {results['uncoded']} uncoded",
             "codes: " + ", ".join(f"{code} {count}" for code, count in codes.most_common()),
             f"slowest case: {max(o.seconds for o in outcomes):.2f} s"]
    lines += [f"UNCODED {o.case.container} / {o.case.kind} / {o.case.name}: {o.detail}"
              for o in outcomes if o.result == "uncoded"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=None, metavar="N", help="N mutations of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hearflow-fuzz-") as folder:
        directory = Path(folder)
        all_cases = list(cases(samples(directory), args.sample))
        started = time.monotonic()
        outcomes = run(all_cases, directory)
        print(report(outcomes))
        print(f"wall time: {time.monotonic() - started:.1f} s")
    return 1 if any(o.result == "uncoded" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
