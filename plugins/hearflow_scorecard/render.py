"""Rendering the scorecard template, with template mistakes reported as coded errors."""

from __future__ import annotations

import jinja2

from hearflow import CallResult, ConfigError, TEMPLATES_ENV, environment
from hearflow_scorecard.context import scorecard_context

TEMPLATE = "scorecard.html.j2"


def render_scorecard(result: CallResult, templates_dir: str | None = None) -> str:
    """The call as one self-contained HTML page. ``templates_dir`` (or $HEARFLOW_TEMPLATES) may hold
    a ``scorecard.html.j2`` or a ``scorecard/`` partial that replaces the shipped one."""
    try:
        template = environment(templates_dir).get_template(TEMPLATE)
        return template.render(**scorecard_context(result))
    except jinja2.TemplateError as exc:
        raise ConfigError(f"scorecard template: {_describe(exc)}", code="invalid_template",
                          hint=f"check the templates in --templates or ${TEMPLATES_ENV}") from None


def _describe(exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name} line {exc.lineno}: {exc.message}"
    return exc.message or type(exc).__name__
