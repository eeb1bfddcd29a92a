"""Secret options never become recorded run parameters: with the prefect runner, a webhook secret
written in the settings travels by environment, and the delivery is still signed with it."""

from __future__ import annotations

import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort

from hearflow.settings import AnalyzeSettings
from hearflow_flows.plugin import PrefectRunner
from hearflow_webhook.signing import verify
from webhook_receiver import Receiver

SECRET = "s3cret-only-in-the-config-0a9f"


def test_a_secret_in_the_settings_is_not_a_run_parameter(tmp_path, monkeypatch, stereo_wav):
    monkeypatch.delenv("HEARFLOW_WEBHOOK_SECRET", raising=False)  # restored after the test
    db = tmp_path / "h.db"
    with Receiver([200]) as hook:
        settings = AnalyzeSettings(analyzer="offline",
                                   sinks={"webhook": {"urls": [hook.url], "secret": SECRET, "max_attempts": 1}})
        outcome = PrefectRunner().analyze(str(stereo_wav), settings, db_path=str(db), reuse=False)
        (request,) = hook.requests
    assert [report.delivered for report in outcome.deliveries] == [True]
    verify(SECRET, request.body, request.headers["X-Hearflow-Timestamp"], request.headers["X-Hearflow-Signature"])

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=20)
    (run,) = [r for r in runs if r.parameters.get("db_path") == str(db)]
    recorded = json.dumps(run.parameters)
    assert "webhook" in recorded and SECRET not in recorded
    assert SECRET.encode() not in db.read_bytes()


def test_options_left_out_of_the_identity_are_no_secrets():
    from hearflow.pipeline.inprocess import engine_for
    from hearflow.pipeline.secrets import withhold_secrets

    settings = AnalyzeSettings(asr_options={"device": "cpu", "batch_size": 4})
    assert withhold_secrets(settings, engine_for(settings).registry).asr_options == {"device": "cpu", "batch_size": 4}
