"""Project paths and the notebook helpers of the report layer (survey.paths, survey.report)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from survey.errors import ParameterError
from survey.paths import find_project_root, project_path, project_root
from survey.report import NOTICE, data_notice, write_results


def _project(folder: Path) -> Path:
    (folder / "notebooks").mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname='x'\n")
    return folder


def test_project_root_is_found_from_any_folder_below_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEY_PROJECT_ROOT", raising=False)
    root = _project(tmp_path / "p")
    deep = root / "notebooks" / "a" / "b"
    deep.mkdir(parents=True)
    assert project_root(deep) == root.resolve()
    assert find_project_root(deep) == root.resolve()
    monkeypatch.chdir(deep)
    assert project_path("data/x.csv") == root.resolve() / "data" / "x.csv"
    assert project_path(tmp_path / "abs.csv") == tmp_path / "abs.csv"


def test_environment_names_the_root(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    monkeypatch.setenv("SURVEY_PROJECT_ROOT", str(root))
    monkeypatch.chdir(tmp_path)
    assert project_root() == root.resolve()


def test_outside_any_project(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEY_PROJECT_ROOT", raising=False)
    assert find_project_root(tmp_path) is None
    # the checkout this package came from
    assert (project_root(tmp_path) / "pyproject.toml").is_file()


def test_reports_keeps_the_old_import_paths():
    import survey.reports as reports

    assert reports.project_path is project_path and reports.project_root is project_root
    assert reports.write_results is write_results and reports.data_notice is data_notice


@pytest.mark.parametrize("synthetic,recorded", [
    (True, True), (False, False), ("all", True), ("some", True), ("none", False),
])
def test_write_results_records_any_demo_row_as_synthetic(tmp_path, synthetic, recorded):
    path = write_results(tmp_path / "out", {"alpha": 0.81, "n": 12}, synthetic=synthetic)
    data = json.loads(path.read_text())
    assert path == tmp_path / "out" / "results.json"
    assert data == {"alpha": 0.81, "n": 12, "synthetic": recorded}


def test_write_results_without_synthetic_leaves_the_key_out(tmp_path):
    data = json.loads(write_results(tmp_path, {"n": 3}).read_text())
    assert data == {"n": 3}


def test_write_results_refuses_an_unknown_synthetic_word(tmp_path):
    with pytest.raises(ParameterError, match="'all', 'some' or 'none'"):
        write_results(tmp_path, {"n": 3}, synthetic="maybe")


def test_data_notice_on_any_demo_row():
    mixed = pd.DataFrame({"synthetic": [True, False]})
    assert "DATA SINTETIS" in data_notice(mixed, "id").data
    assert "SYNTHETIC DATA" in data_notice(mixed, "en").data
    assert data_notice(pd.DataFrame({"synthetic": [False]}), "id").data == ""
    assert data_notice(None, "id").data == ""
    with pytest.raises(ParameterError):
        data_notice(mixed, "fr")


def test_notice_is_a_banner_in_both_languages():
    assert set(NOTICE) == {"id", "en"}
    html = data_notice(pd.DataFrame({"synthetic": [True]}), "en").data
    assert html.startswith('<div class="survey-notice"') and "<b>" in html
