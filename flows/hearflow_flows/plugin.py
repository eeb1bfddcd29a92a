"""The ``prefect`` runner and the ``hearflow serve`` command, registered like any plugin.

Nothing here imports Prefect at module level: it loads when a run or ``serve`` starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from hearflow import Runner, hookimpl


def prefect_server_configured() -> bool:
    """Whether runs have a Prefect server to report to: $PREFECT_API_URL, or the active Prefect
    profile's setting (read from the profiles file, so Prefect need not be imported to know)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    import tomllib

    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    try:
        data = tomllib.loads(profiles.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or data.get("active", "ephemeral")
    return bool(data.get("profiles", {}).get(active, {}).get("PREFECT_API_URL"))


def require_prefect_server(what: str) -> None:
    """Commands whose runs outlive them (deployments, work pools, workers on other machines)
    need a server everyone reaches: never a temporary one."""
    if not prefect_server_configured():
        from hearflow import ConfigError

        raise ConfigError(f"{what} needs a running Prefect server", code="prefect_server_required",
                          hint="run `prefect server start`, then export PREFECT_API_URL=http://HOST:4200/api")


class PrefectRunner(Runner):
    name = "prefect"
    description = ("each call a Prefect flow run of the step list (tasks, retries, cache), shown in the "
                   "Prefect UI; the default when a Prefect server is configured")
    requires = ("prefect",)

    @classmethod
    def preferred(cls) -> bool:
        return prefect_server_configured()

    def __init__(self, options=None):
        super().__init__(options)
        self._server = None  # a temporary server, started on first use when none is configured

    def _ensure_server(self) -> None:
        if self._server is None and not prefect_server_configured():
            from hearflow_flows.temporary_server import temporary_server

            self._server = temporary_server()
            self._server.__enter__()

    def close(self) -> None:
        if self._server is not None:
            self._server.__exit__(None, None, None)
            self._server = None

    def analyze(self, source, settings, *, db_path, formats=(), out_dir=None, reuse=True):
        self._ensure_server()
        from hearflow_flows.analyze import analyze_call

        return analyze_call(source, settings=_public(settings), db_path=db_path, formats=list(formats),
                            out_dir=str(out_dir or "."), reuse=reuse)

    def archive(self, sources, settings, *, db_path, pattern="**/*", workers=2, formats=(), out_dir=None,
                reuse=True, dask_address=None):
        self._ensure_server()
        from hearflow_flows.archive import process_archive

        return process_archive(list(sources), pattern=pattern, settings=_public(settings), db_path=db_path,
                               workers=workers, dask_address=dask_address, formats=list(formats),
                               out_dir=out_dir, reuse=reuse)

    def work_pool_jobs(self, pool):
        require_prefect_server("hearflow api --prefect")
        from hearflow_flows.work_pool import WorkPoolJobs

        return WorkPoolJobs(pool)


def _public(settings):
    """Settings fit to be a recorded run parameter: secrets travel by environment instead."""
    from hearflow.pipeline.inprocess import engine_for
    from hearflow.pipeline.secrets import withhold_secrets

    return withhold_secrets(settings, engine_for(settings).registry)


@hookimpl
def register_runners(register):
    register(PrefectRunner)


@hookimpl
def register_commands(cli):
    from hearflow_flows.serve import serve
    from hearflow_flows.worker_command import worker

    cli.add_command(serve)
    cli.add_command(worker)
