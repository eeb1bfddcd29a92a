"""HTML scorecards rendered with Jinja: the html formatter and the scorecard command."""

from __future__ import annotations

from hearflow import Formatter, hookimpl


class HtmlFormatter(Formatter):
    name = "html"
    extension = "html"
    description = "self-contained HTML scorecard: talk split, timeline, metrics, analysis (templates/scorecard.html.j2)"

    def render(self, result):
        from hearflow_scorecard.render import render_scorecard

        return render_scorecard(result)


@hookimpl
def register_formatters(register):
    register(HtmlFormatter)


@hookimpl
def register_commands(cli):
    from hearflow_scorecard.command import add_scorecard_command

    add_scorecard_command(cli)
