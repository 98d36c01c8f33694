"""The identifier scan on a labelled corpus (tests/fixtures/identifiers/): every positive line holds
exactly one identifier of its kind, no negative line holds any. Recall and the false-positive rate
are printed (``pytest -s``) and must both be perfect on this corpus."""
from __future__ import annotations

from pathlib import Path

import pytest

from survey.privacy import find_identifiers, scan_text

HERE = Path(__file__).parent / "fixtures" / "identifiers"


def _lines(name: str) -> list[str]:
    return [x for x in (HERE / name).read_text(encoding="utf-8").splitlines() if x and not x.startswith("#")]


POSITIVES = [tuple(x.split("\t", 1)) for x in _lines("positives.tsv")]
NEGATIVES = _lines("negatives.txt")


def test_corpus_is_large_enough():
    assert len(POSITIVES) >= 50 and len(NEGATIVES) >= 50
    assert {k for k, _ in POSITIVES} == {"nip", "nik", "phone", "email", "name"}


@pytest.mark.parametrize("kind,text", POSITIVES)
def test_positive_found_with_its_kind(kind, text):
    assert [k for k, *_ in find_identifiers(text)] == [kind]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative_not_flagged(text):
    assert find_identifiers(text) == []


def test_recall_and_false_positive_rate():
    hits = sum([k for k, *_ in find_identifiers(t)] == [k] for k, t in POSITIVES)
    false = sum(bool(find_identifiers(t)) for t in NEGATIVES)
    recall, fpr = hits / len(POSITIVES), false / len(NEGATIVES)
    print(f"\nidentifier scan: recall {recall:.3f} ({hits}/{len(POSITIVES)}), "
          f"false-positive rate {fpr:.3f} ({false}/{len(NEGATIVES)})")
    assert recall == 1.0 and fpr == 0.0


def test_scan_shows_masked_text_only():
    r = scan_text("<p>Kontak: HP0812-3456-7890</p>", "index.html")
    assert r[["kind", "line", "column"]].values.tolist() == [["phone", 1, "14"]]
    assert "3456" not in r["match"].iloc[0]
