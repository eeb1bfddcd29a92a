"""sqlite-utils, imported without pandas.

sqlite-utils imports pandas when it is installed (to store DataFrame timestamps), and pandas
comes with the test and LLM extras: half a second of every command, the stored-call answer
included, for a feature the store never uses.
"""

from __future__ import annotations

import sys


def _import():
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return sys.modules.get("sqlite_utils") or __import__("sqlite_utils")
    sys.modules["pandas"] = None  # its optional `import pandas` fails fast: pandas is left unloaded
    try:
        import sqlite_utils
    finally:
        del sys.modules["pandas"]  # a later `import pandas` elsewhere loads it as usual
    return sqlite_utils


sqlite_utils = _import()
Migrations = sqlite_utils.Migrations
