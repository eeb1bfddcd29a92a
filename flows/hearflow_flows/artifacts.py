"""The archive run summary as Prefect artifacts: a table of calls and a markdown report."""

from __future__ import annotations


def publish_summary(summary) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    rows = [{"call": c["id"], "source": c["source"], "audio_s": round(c["audio_seconds"], 1),
             "speakers": c["speakers"], "summary": c["summary"] or ""} for c in summary.calls]
    rows += [{"call": "failed", "source": f["source"], "audio_s": 0, "speakers": 0,
              "summary": f"error[{f['code']}]: {f['message']}"} for f in summary.failures]
    create_table_artifact(key="hearflow-archive-calls", table=rows or [{"call": "none"}],
                          description=f"Calls of archive run {summary.run_id}")
    create_markdown_artifact(key="hearflow-archive-report", markdown=report_markdown(summary),
                             description=f"Archive run {summary.run_id}")


def report_markdown(summary) -> str:
    lines = [
        f"# Archive run {summary.run_id}",
        "",
        "| found | processed | skipped | duplicates | failed | audio hours | wall s | calls/min |",
        "|---|---|---|---|---|---|---|---|",
        f"| {summary.found} | {summary.processed} | {summary.skipped} | {summary.duplicates} | {summary.failed} "
        f"| {summary.audio_seconds / 3600:.2f} | {summary.wall_seconds:.0f} | {summary.calls_per_minute:.2f} |",
        "",
    ]
    if summary.calls:
        lines += ["## Calls", ""]
        for call in summary.calls:
            cards = [p for p in call["outputs"] if p.endswith(".html")]
            link = f" — [scorecard](file://{cards[0]})" if cards else ""
            lines.append(f"- `{call['id']}` {call['source']} ({call['audio_seconds']:.0f} s){link}")
    if summary.failures:
        lines += ["", "## Failures", ""]
        lines += [f"- {f['source']}: `error[{f['code']}]` {f['message']}" for f in summary.failures]
    return "\n".join(lines) + "\n"
