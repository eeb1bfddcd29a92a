"""The built wheel carries the plugins, flows and templates, and runs from a fresh venv."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile

from media import ROOT


def test_wheel_installs_and_analyses(tmp_path, stereo_wav):
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
                            str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("hearflow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("hearflow/templates/transcript.txt.j2", "hearflow_flows/analyze.py",
                     "hearflow_decode/__init__.py", "hearflow_whisper/__init__.py"):
        assert expected in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies come from the test venv (read-only), hearflow itself only from the wheel.
    (tmp_path / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    os.replace(tmp_path / "deps.pth", os.path.join(site, "zz_deps.pth"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel)], check=True)

    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PYTHONPATH")}
    env.update(HEARFLOW_HOME=str(tmp_path / "home"), PREFECT_HOME=str(tmp_path / "prefect"))
    where = subprocess.run([str(python), "-c", "import hearflow, hearflow_formats; "
                            "print(hearflow.__file__); print(hearflow_formats.__file__)"],
                           cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout
    assert where.count(str(env_dir)) == 2, where

    # No PREFECT_API_URL: the flow runs on Prefect's embedded server, with no set-up.
    done = subprocess.run([str(env_dir / "bin" / "hearflow"), "analyze", str(stereo_wav), "-f", "txt",
                           "-o", str(tmp_path / "out"), "-q"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "SPEAKER_2:" in done.stdout
    assert "Speaker timing:" in (tmp_path / "out" / "support-stereo.txt").read_text()
