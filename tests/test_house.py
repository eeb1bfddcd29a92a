"""The house: the public plugin API, layers that point down, one pipeline and one tail that
every door ends in, and plugins loaded from a directory."""

from __future__ import annotations

import ast
import json
import shutil
import sqlite3
import textwrap

import pytest

import hearflow
from media import ROOT
from plugin_samples import BROKEN_HOOK_PLUGIN, CALL_LOG_PLUGIN

def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_builtin_plugins_import_only_the_public_api():
    offenders = [f"{path.relative_to(ROOT)}: {module}"
                 for path in sorted((ROOT / "plugins").rglob("*.py"))
                 for module in _imports(path) if module.startswith("hearflow.")]
    assert offenders == []


def test_every_public_name_resolves():
    missing = [name for name in hearflow.__all__ if not hasattr(hearflow, name)]
    assert missing == [] and {"hookimpl", "Formatter", "MonoDiarizer", "CallResult", "Runner"} <= set(hearflow.__all__)


def test_layers_point_down():
    interfaces = ("cli", "http")
    core = [path for path in (ROOT / "hearflow").rglob("*.py")
            if not set(interfaces) & set(path.relative_to(ROOT).parts)]
    upward = [f"{path.relative_to(ROOT)}: {module}" for path in core for module in _imports(path)
              if module.startswith(("hearflow_flows", "hearflow.cli", "hearflow.http"))
              or (module.startswith("hearflow_") and "plugins" not in path.parts)]
    assert upward == []
    interfaces_import_flows = [f"{path.relative_to(ROOT)}: {module}"
                               for folder in interfaces for path in (ROOT / "hearflow" / folder).rglob("*.py")
                               for module in _imports(path) if module.startswith("hearflow_flows")
                               and module != "hearflow_flows.prefect_env"]
    assert interfaces_import_flows == []
    http_imports_cli = [f"{path.relative_to(ROOT)}: {module}" for path in (ROOT / "hearflow" / "http").rglob("*.py")
                        for module in _imports(path) if module.startswith("hearflow.cli")]
    assert http_imports_cli == []  # the two interfaces stand side by side


def test_cli_modules_have_no_import_loop():
    """common is the base: it imports neither the package nor its sibling command modules."""
    modules = set(_imports(ROOT / "hearflow" / "cli" / "common.py"))
    assert not {m for m in modules if m.startswith("hearflow.cli")}
    for sibling in ("pipeline.py", "store.py", "export.py"):
        assert "hearflow.cli" not in set(_imports(ROOT / "hearflow" / "cli" / sibling))


def test_the_step_order_is_one_list():
    from hearflow.pipeline.steps import STEPS

    assert [step.name for step in STEPS] == ["decode", "split", "separate", "transcribe", "assemble", "redact", "measure",
                                             "analyze", "conclude"]
    flows = "".join(p.read_text() for p in (ROOT / "flows" / "hearflow_flows").glob("*.py"))
    assert "engine.decode(" not in flows and "engine.transcribe(" not in flows  # flows walk STEPS only


@pytest.fixture
def plugins_dir(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "call_log.py").write_text(CALL_LOG_PLUGIN)
    (folder / "broken_hook.py").write_text(BROKEN_HOOK_PLUGIN)
    return folder


def _rows(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_directory_plugin_sees_every_call_of_analyze_and_archive(tmp_path, plugins_dir, cli, stereo_wav,
                                                                   mono_wav):
    env = {"HEARFLOW_PLUGINS_DIR": str(plugins_dir)}
    db = tmp_path / "h.db"
    listed = cli("plugins", "--json", env=env)
    assert listed.returncode == 0, listed.stderr

    single = cli("analyze", stereo_wav, "--db", db, "--runner", "inprocess", "--analyzer", "offline", "-q", env=env)
    assert single.returncode == 0, single.stderr
    assert "this plugin always fails" in single.stderr  # logged, and the call is still stored
    assert _rows(db, "select call_id from call_log") == _rows(db, "select id from calls")

    calls = tmp_path / "calls"
    calls.mkdir()
    shutil.copy(stereo_wav, calls / "a.wav")  # already stored: skipped
    shutil.copy(mono_wav, calls / "b.wav")
    (calls / "broken.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    run = cli("archive", calls, "--db", db, "--analyzer", "offline", "-q", "--json", env=env)
    assert run.returncode == 1  # one broken file
    summary = json.loads(run.stdout)
    assert (summary["processed"], summary["skipped"], summary["failed"]) == (1, 1, 1)
    assert sorted(_rows(db, "select call_id from call_log")) == sorted(_rows(db, "select id from calls"))
    assert len(_rows(db, "select id from calls")) == 2


def test_the_table_of_a_plugin_migration_exists_after_the_first_open(tmp_path, plugins_dir, monkeypatch):
    monkeypatch.setenv("HEARFLOW_PLUGINS_DIR", str(plugins_dir))
    from hearflow.store.store import Store

    store = Store(tmp_path / "fresh.db")
    try:
        assert "call_log" in store.db.table_names()
    finally:
        store.close()


def test_a_broken_plugin_file_is_a_coded_error(tmp_path, cli):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "oops.py").write_text("raise ImportError('missing dependency')\n")
    result = cli("--plugins-dir", folder, "plugins")
    assert result.returncode == 1
    assert "error[plugin_failed]" in result.stderr and "oops.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_both_runners_store_the_same_call(tmp_path, cli, stereo_wav, mono_wav):
    """Stereo (channels transcribed at once) and mono (diarized while transcribed, in process;
    one step after the other as Prefect tasks)."""
    rows = {}
    for runner in ("inprocess", "prefect"):
        db = tmp_path / f"{runner}.db"
        for path in (stereo_wav, mono_wav):
            run = cli("analyze", path, "--db", db, "--runner", runner, "--analyzer", "offline", "-q")
            assert run.returncode == 0, run.stderr
        rows[runner] = _rows(db, "select id, mode, transcript, speaker_timing, metrics, summary from calls order by id")
        rows[runner + " words"] = _rows(db, "select call_id, start, end, text, speaker from words order by call_id, id")
    assert rows["inprocess"] == rows["prefect"] and len(rows["inprocess"]) == 2
    assert {row[1] for row in rows["inprocess"]} == {"channel", "mono"}
    assert rows["inprocess words"] == rows["prefect words"]


def test_plugin_docs_name_the_public_api():
    doc = (ROOT / "docs" / "plugin-hooks.md").read_text()
    undocumented = [name for name in hearflow.__all__ if name != "__version__" and f"`{name}`" not in doc]
    assert undocumented == []
    assert textwrap.dedent("from hearflow import") in doc


def test_starting_the_cli_imports_no_heavy_library():
    """Heavy libraries load inside the stage that needs them: building the whole command line
    (every plugin registered) imports none of them, so `--help` and a stored call stay instant."""
    import subprocess
    import sys

    heavy = ("torch", "faster_whisper", "ctranslate2", "onnxruntime", "prefect", "librosa", "fastapi")
    probe = ("import sys; from hearflow.cli import build_cli; from hearflow.plugins.manager import build_registry; "
             f"build_cli(); build_registry(); print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
