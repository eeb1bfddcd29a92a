"""HTML scorecards rendered with Jinja: the html formatter and the scorecard command."""
