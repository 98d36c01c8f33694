"""score() reads nullable columns as stored (values and mask); its scores equal a plain pandas
computation of the same definition (correctness only; nothing here is timed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey.responses._parallel as parallel
from survey.instrument import load_instrument
from survey.responses import score


def _reference(df: pd.DataFrame, inst, cid: str) -> pd.Series:
    cols = {}
    for it in inst.items_of(cid):
        x = pd.to_numeric(df[it.name], errors="coerce").astype("float64")
        if it.reverse:
            sc = inst.scales[it.scale]
            x = (sc.min + sc.max) - x
        cols[it.name] = x
    block = pd.DataFrame(cols)
    mean = block.mean(axis=1, skipna=True)
    return mean.where(block.notna().sum(axis=1) >= inst.constructs[cid].min_answered)


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("dtype", ["Int64", "Float64", "float64", "object"])
def test_scores_equal_a_pandas_reference_for_every_column_type(dtype, threads, monkeypatch):
    if threads:  # constructs scored on two threads, as on a large file and a quiet machine
        monkeypatch.setattr(parallel, "MIN_ROWS", 0)
        monkeypatch.setattr(parallel, "idle_cores", lambda: 2)
    inst = load_instrument("training_reaction")
    names = [it.name for c in inst.constructs for it in inst.items_of(c)]
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=(500, len(names))).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    df = pd.DataFrame(x, columns=names)
    if dtype == "object":
        df = df.astype(object).where(df.notna(), None)
        df.iloc[0, 0] = "x"  # not a number: missing, as pd.to_numeric(errors="coerce")
    else:
        df = df.astype(dtype)
    out = score(df, inst)
    for cid in inst.constructs:
        pd.testing.assert_series_equal(out[cid], _reference(df, inst, cid).rename(cid), check_exact=False,
                                       rtol=0, atol=1e-12)
    assert list(df.columns) == names  # the caller's frame is unchanged


def test_a_nan_stored_as_a_float_value_is_missing():
    inst = load_instrument("training_reaction")
    cid = next(iter(inst.constructs))
    names = [it.name for it in inst.items_of(cid)]
    df = pd.DataFrame({n: pd.array([3.0, 4.0], dtype="Float64") for n in names})
    df[names[0]] = pd.arrays.FloatingArray(np.array([np.nan, 2.0]), np.array([False, False]))
    got = score(df, inst, constructs=cid)[cid].to_numpy(dtype=float)
    x = np.array([[np.nan] + [3.0] * (len(names) - 1), [2.0] + [4.0] * (len(names) - 1)])
    sc = inst.scales[inst.items_of(cid)[0].scale]
    for j, it in enumerate(inst.items_of(cid)):
        if it.reverse:
            x[:, j] = (sc.min + sc.max) - x[:, j]
    np.testing.assert_allclose(got, np.nanmean(x, axis=1))  # row 0: the NaN is not counted
