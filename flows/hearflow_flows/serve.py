"""``hearflow serve``: hearflow's flows as Prefect deployments, until stopped."""

from __future__ import annotations

import click

from hearflow import AnalyzeSettings, config_option, db_option


@click.command()
@click.option("--archive", "archive_sources", multiple=True, metavar="DIR|LIST|URL",
              help="What the scheduled archive deployment processes (repeatable). Without it only the "
                   "on-demand single-call deployment is served.")
@click.option("--cron", default="0 2 * * *", show_default=True, help="Schedule of the archive deployment.")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("-w", "--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS", help="Run archive calls on this Dask cluster.")
@config_option
@db_option
def serve(archive_sources, cron, timezone, workers, dask_address, config, db):
    """Serve hearflow's flows as Prefect deployments until stopped (Ctrl-C).

    Registers "analyze-call/on-demand" (one call, started from the Prefect UI or
    `prefect deployment run`) and, with --archive, "process-archive/nightly" on a cron schedule.
    Both appear in the Prefect UI with their schedules. Point PREFECT_API_URL at your server first.
    Plugins from $HEARFLOW_PLUGINS_DIR are loaded by the served runs too.

    \b
    Example:
      prefect server start &
      export PREFECT_API_URL=http://127.0.0.1:4200/api
      hearflow serve --archive /calls --cron "0 2 * * *"
    """
    from hearflow_flows.plugin import require_prefect_server

    require_prefect_server("serving deployments")  # a temporary server would vanish with its schedules
    from prefect import serve as serve_deployments
    from prefect.schedules import Cron

    from hearflow_flows.analyze import analyze_call
    from hearflow_flows.archive import process_archive

    from hearflow_flows.plugin import _public

    # Served runs inherit this process's environment, where the secrets go instead of the parameters.
    settings = _public(AnalyzeSettings.from_file(config) if config else AnalyzeSettings()).model_dump(mode="json")
    deployments = [analyze_call.to_deployment(name="on-demand", parameters={"settings": settings, "db_path": db})]
    if archive_sources:
        deployments.append(process_archive.to_deployment(
            name="nightly", schedules=[Cron(cron, timezone=timezone)],
            parameters={"sources": list(archive_sources), "settings": settings, "db_path": db,
                        "workers": workers, "dask_address": dask_address}))
    serve_deployments(*deployments)
