"""The `survey` command as a user runs it: one-line errors, exit 2, no traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest


def survey(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "survey.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_instrument_list_and_show():
    p = survey("instrument", "list")
    assert p.returncode == 0
    assert "skm_2017" in p.stdout and "training_reaction" in p.stdout
    p = survey("instrument", "show", "skm_2017", "--lang", "id")
    assert p.returncode == 0
    assert "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?" in p.stdout
    p = survey("instrument", "show", "skm_2017", "--lang", "en")
    assert "facilities and infrastructure" in p.stdout


def test_validate_valid_and_invalid(tmp_path):
    from survey import load_instrument

    good = tmp_path / "good.yaml"
    good.write_text(load_instrument("training_transfer").to_yaml(), encoding="utf-8")
    p = survey("instrument", "validate", str(good))
    assert p.returncode == 0 and "valid" in p.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("supervisor_support:", "supervisor_suport:", 1), encoding="utf-8")
    p = survey("instrument", "validate", str(bad))
    assert p.returncode == 2
    assert "unknown construct 'supervisor_support'" in p.stderr
    assert "constructs.supervisor_suport: no item measures this construct" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("args,needle", [
    (["nonsense"], "invalid choice"),
    (["instrument"], "needs an action"),
    (["instrument", "show", "nope"], "no such instrument file"),
    (["instrument", "show", "skm_2017", "--lang", "fr"], "invalid choice"),
    (["run", "missing.yml"], "plan file not found"),
    (["demo", "--seed", "abc"], "invalid int value"),
    (["demo", "--scale", "huge"], "invalid choice"),
    (["run", "notebooks/plans/demo.yml", "--workers", "0"], "at least 1"),
])
def test_user_errors_are_one_line_exit_2(args, needle, root):
    p = survey(*args, cwd=root)
    assert p.returncode == 2, p.stdout + p.stderr
    assert needle in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_demo_writes_files(tmp_path):
    p = survey("demo", "--out", str(tmp_path / "d"), "--seed", "3")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "d" / "truth.json").exists()
    assert (tmp_path / "d" / "skm.csv").exists()
