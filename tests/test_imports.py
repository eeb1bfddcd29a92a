"""The whole pinned set imports together in one fresh interpreter (what .ci/setup checks too), and
the packages whose versions decide whether the Prefect server works are the pinned ones."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

from media import ROOT

# Prefect's scheduler and CLI were broken by newer SQLAlchemy / FastAPI releases than these pins.
SERVER_PINS = ("prefect", "SQLAlchemy", "fastapi", "starlette", "pydantic", "uvicorn")


def test_every_pinned_module_imports_in_one_interpreter():
    process = subprocess.run([sys.executable, str(ROOT / ".ci" / "check_imports.py"), "--test"],
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert re.fullmatch(r"imports ok: \d+ modules\n", process.stdout)


def test_prefect_server_stack_is_the_pinned_one():
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    installed = {name: metadata.version(name) for name in SERVER_PINS}
    assert installed == {name: pins[name] for name in SERVER_PINS}
