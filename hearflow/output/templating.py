"""Jinja environment: a user's template directory first, then the templates hearflow ships."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import jinja2

TEMPLATES_ENV = "HEARFLOW_TEMPLATES"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the hearflow package


def shipped_template_dirs() -> list[Path]:
    # A wheel carries the templates inside the package; a source checkout keeps them at the root.
    return [d for d in (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates") if d.is_dir()]


@lru_cache(maxsize=8)
def environment(user_dir: str | None = None) -> jinja2.Environment:
    user_dir = user_dir or os.environ.get(TEMPLATES_ENV)
    dirs = ([Path(user_dir).expanduser()] if user_dir else []) + shipped_template_dirs()
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml", "html.j2", "xml.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
