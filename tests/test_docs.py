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
