"""The Prefect flow: a real run against a Prefect server, cache hits on re-runs, store reuse."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort

from hearflow.settings import AnalyzeSettings
from hearflow.store.store import Store
from hearflow_flows import analyze_call


def _task_states(flow_run_id, expected=("decode", "separate", "transcribe", "store")) -> dict[str, str]:
    """Final task states of a flow run. Task runs reach the server as events, so wait for them."""
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=50)
            states = {run.name.rsplit("-", 1)[0]: run.state.name for run in runs if run.state}
            settled = all(states.get(name) not in (None, "Pending", "Running") for name in expected)
            if settled or time.monotonic() > deadline:
                return states
            time.sleep(0.5)


def test_rerun_hits_the_stage_cache_and_store_reuse(tmp_path, stereo_wav):
    settings = AnalyzeSettings(asr_options={"beam_size": 4})  # options of its own: a cold cache
    first = analyze_call(str(stereo_wav), settings=settings, db_path=str(tmp_path / "a.db"), return_state=True)
    assert first.is_completed()
    states = _task_states(first.state_details.flow_run_id)
    assert states["transcribe"] == "Completed"
    assert states["decode"] == "Completed"

    # Another database, so the store cannot answer: transcription must come from Prefect's cache.
    # Decoding is redone: decoded audio is never cached nor persisted.
    second = analyze_call(str(stereo_wav), settings=settings, db_path=str(tmp_path / "b.db"), return_state=True)
    states = _task_states(second.state_details.flow_run_id)
    assert states["decode"] == "Completed" and states["transcribe"] == "Cached"
    persisted = [p.stat().st_size for p in (Path(os.environ["PREFECT_HOME"]) / "storage").rglob("*") if p.is_file()]
    assert persisted and max(persisted) < 1_000_000  # transcripts and analyses only: no audio arrays
    assert second.result().result.transcript == first.result().result.transcript

    # Same database: the stored call is reused, no stage runs, no duplicate row.
    third = analyze_call(str(stereo_wav), settings=settings, db_path=str(tmp_path / "b.db"))
    assert third.reused and third.result.id == first.result().result.id
    store = Store(tmp_path / "b.db")
    assert store.db["calls"].count == 1
    store.close()


def test_changed_options_miss_the_cache(tmp_path, stereo_wav):
    settings = AnalyzeSettings(asr_options={"beam_size": 3})
    state = analyze_call(str(stereo_wav), settings=settings, db_path=str(tmp_path / "c.db"), return_state=True)
    states = _task_states(state.state_details.flow_run_id)
    assert states["transcribe"] == "Completed"  # beam 3 was never run before
    assert states["decode"] == "Completed"  # never cached


def test_cached_stages_never_leak_another_files_name(tmp_path, stereo_wav):
    """Stage caches are keyed by content; what a call is called must still come from this run."""
    import shutil

    first = analyze_call(str(stereo_wav), db_path=str(tmp_path / "a.db"))
    renamed = tmp_path / "renamed-copy.wav"
    shutil.copy(stereo_wav, renamed)
    second = analyze_call(str(renamed), db_path=str(tmp_path / "b.db"))
    assert second.result.source == str(renamed) and first.result.source == str(stereo_wav)
    assert second.result.analysis == first.result.analysis  # the analysis itself may come from cache
