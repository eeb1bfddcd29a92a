"""Every hook has a documentation section, and the section names its arguments."""

from __future__ import annotations

import inspect
import re

import pytest

from hearflow.plugins import hookspecs
from media import ROOT

DOC = (ROOT / "docs" / "plugin-hooks.md").read_text()
SECTIONS = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", DOC, flags=re.S | re.M))
HOOKS = [name for name, fn in vars(hookspecs).items()
         if callable(fn) and hasattr(fn, "hearflow_spec")]


def test_hooks_are_found():
    assert "register_decoders" in HOOKS and "on_call_complete" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    assert hook in SECTIONS, f"docs/plugin-hooks.md has no '## {hook}' section"
    signature = f"{hook}({', '.join(inspect.signature(getattr(hookspecs, hook)).parameters)})"
    assert signature in SECTIONS[hook], f"section {hook} should show `{signature}`"


def test_no_section_for_a_hook_that_does_not_exist():
    assert set(SECTIONS) <= set(HOOKS)


# -- the README's error catalogue ---------------------------------------------------------------

README = (ROOT / "README.md").read_text()
CATALOGUE = README.split("<!-- error-codes -->", 1)[1].split("<!-- /error-codes -->", 1)[0]
DOCUMENTED = re.findall(r"^\| `([a-z][a-z0-9_]*)` \|", CATALOGUE, flags=re.M)
# A code given to a coded error (`code="x"`, a class's `code = "x"`) or printed as `error[x]`.
CODE_IN_SOURCE = re.compile(r"""\bcode\s*=\s*["']([a-z][a-z0-9_]*)["']|error\[([a-z][a-z0-9_]*)\]""")


HTTP_ONLY = ROOT / "hearflow" / "http"  # the API's codes have their own catalogue, in docs/api.md


def _codes_in_source() -> dict[str, str]:
    found = {}
    for folder in ("hearflow", "plugins", "flows"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(HTTP_ONLY):
                continue
            for match in CODE_IN_SOURCE.finditer(path.read_text()):
                found.setdefault(match[1] or match[2], str(path.relative_to(ROOT)))
    return found


SOURCE_CODES = _codes_in_source()


def test_codes_are_found():
    assert {"not_a_regular_file", "store_readonly", "internal", "signature_mismatch"} <= set(SOURCE_CODES)
    assert len(DOCUMENTED) == len(set(DOCUMENTED)), "a code is listed twice"


@pytest.mark.parametrize("code", sorted(SOURCE_CODES))
def test_every_error_code_is_in_the_readme(code):
    assert code in DOCUMENTED, f"{code} (raised in {SOURCE_CODES[code]}) is not in README.md's error catalogue"


def test_no_catalogue_entry_for_a_code_that_does_not_exist():
    assert set(DOCUMENTED) <= set(SOURCE_CODES)
