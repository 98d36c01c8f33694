"""survey._yaml: the one bounded, safe YAML loader."""
from __future__ import annotations

import time

import pytest

from survey._yaml import load_yaml, loads_yaml
from survey.errors import DataError, PlanError, SurveyError

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 10)}]\n" for k in range(8))


def test_ordinary_yaml_with_a_few_anchors():
    assert loads_yaml("base: &b {lang: id}\nr1: *b\nr2: *b") == {"base": {"lang": "id"}, "r1": {"lang": "id"},
                                                                 "r2": {"lang": "id"}}


def test_alias_bomb_is_refused_quickly_naming_the_file(tmp_path):
    f = tmp_path / "bomb.yml"
    f.write_text(BOMB)
    t0 = time.perf_counter()
    with pytest.raises(PlanError, match=r"bomb\.yml: line \d+, column \d+: the aliases expand to more than"):
        load_yaml(f, error=PlanError)
    assert time.perf_counter() - t0 < 2


def test_too_many_aliases_and_recursive_alias():
    many = "a: &a 1\nl: [" + ", ".join(["*a"] * 300) + "]"
    with pytest.raises(SurveyError, match="more than 200 YAML aliases"):
        loads_yaml(many)
    with pytest.raises(SurveyError, match="refers to the block that contains it"):
        loads_yaml("a: &a [1, *a]")


def test_oversized_and_deep_and_broken(tmp_path):
    big = tmp_path / "big.yml"
    big.write_text("x: " + "y" * 3_000_000)
    with pytest.raises(DataError, match=r"--map .*big\.yml: 3,000,003 bytes is more than"):
        load_yaml(big, error=DataError, what="--map")
    with pytest.raises(SurveyError, match="nested too deeply"):
        loads_yaml("[" * 100_000 + "]" * 100_000, max_bytes=10**7)
    with pytest.raises(SurveyError, match=r"<text>: line 2, column \d+: not valid YAML"):
        loads_yaml("a: [1\nb: 2")
    with pytest.raises(SurveyError, match="cannot read it"):
        load_yaml(tmp_path / "missing.yml")


def test_no_python_objects():
    with pytest.raises(SurveyError, match="not valid YAML"):
        loads_yaml("!!python/object/apply:os.system ['echo hi']")


def test_plain_documents_take_libyaml_and_read_the_same():
    """A document without aliases is read by libyaml's C loader; the result equals the bounded
    Python loader's, and documents with aliases or deep nesting still go the checked way."""
    import yaml

    from survey import _yaml

    items = "\n".join(f"  - name: Q{i}\n    label: {{id: 'Butir {i}', en: 'Item {i}: yes'}}\n    reverse: no"
                      for i in range(3000))
    text = f"id: big\nversion: '1.10'\nitems:\n{items}\n"
    assert _yaml._plain_document(text, _yaml.MAX_NODES)
    python = _yaml._loader_class(_yaml.MAX_ALIASES, _yaml.MAX_NODES)(text).get_single_data()
    assert _yaml.loads_yaml(text) == python
    assert python["version"] == "1.10" and python["items"][2999]["reverse"] is False
    assert not _yaml._plain_document("a: &a [1, 2]\nb: *a\n", _yaml.MAX_NODES)
    assert not _yaml._plain_document("[" * 150 + "]" * 150, _yaml.MAX_NODES)
    assert not _yaml._plain_document("a: [1, 2\n", _yaml.MAX_NODES)   # broken: the Python loader says where
    assert yaml.__with_libyaml__  # PyYAML wheels ship libyaml; without it the Python loader is used
