"""`hearflow serve` registers deployments the Prefect API (and so the UI) shows, with schedules,
and a run started from the API is executed by the served process."""

from __future__ import annotations

import time

import yaml
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

from media import ROOT
from plugin_samples import CALL_LOG_PLUGIN
from serving import hearflow_running


def _deployments(client) -> dict[str, dict]:
    response = client._client.post("/deployments/filter", json={"limit": 50, "offset": 0, "sort": "NAME_ASC"})
    response.raise_for_status()
    return {d["name"]: d for d in response.json()}


def test_serve_registers_scheduled_deployments_and_runs_them(tmp_path, stereo_wav):
    db = tmp_path / "h.db"
    plugins = tmp_path / "plugins"  # a directory plugin must see the calls of deployment runs too
    plugins.mkdir()
    (plugins / "call_log.py").write_text(CALL_LOG_PLUGIN)
    with hearflow_running("--plugins-dir", plugins, "serve", "--archive", tmp_path / "calls", "--cron", "30 3 * * *",
                          "--db", db, log=tmp_path / "serve.log"):
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                found = _deployments(client)
                if {"on-demand", "nightly"} <= set(found):
                    break
                time.sleep(1)
            assert {"on-demand", "nightly"} <= set(found), found.keys()
            (schedule,) = found["nightly"]["schedules"]
            assert schedule["schedule"]["cron"] == "30 3 * * *" and schedule["active"]
            assert found["nightly"]["parameters"]["sources"] == [str(tmp_path / "calls")]

        run = run_deployment("analyze-call/on-demand", parameters={"source": str(stereo_wav)}, timeout=300)
        assert run.state.is_completed(), run.state
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from calls").fetchone()[0] == 1
        assert conn.execute("select call_id from call_log").fetchall() == conn.execute("select id from calls").fetchall()


def test_prefect_yaml_points_at_real_flows():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        assert f"def {name}(" in (ROOT / path).read_text()
