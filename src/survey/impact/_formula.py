"""Model formulas and the frames they are evaluated on: random-effect terms of lme4 syntax,
category order kept from pandas Categoricals, Likert labels ordered by their instrument's scale,
categorical controls as treatment dummies, and observation weights."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError

__all__ = ["ordered_item"]


@dataclasses.dataclass(frozen=True)
class RandomTerm:
    """One lme4 random term ``(expr | group)``: ``expr`` its effects, ``group`` its grouping factor."""

    expr: str
    group: str
    text: str


def _bar_groups(formula: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the parenthesised groups holding a ``|`` at their own depth."""
    stack: list[list[Any]] = []
    spans = []
    for i, ch in enumerate(formula):
        if ch == "(":
            stack.append([i, False])
        elif ch == ")":
            if not stack:
                break  # unbalanced: patsy will report the formula
            start, has_bar = stack.pop()
            if has_bar:
                spans.append((start, i + 1))
        elif ch == "|" and stack:
            stack[-1][1] = True
    return spans


def split_random(formula: str) -> tuple[str, list[RandomTerm]]:
    """The fixed part of an lme4 formula and its random terms, in order of appearance.

    ``y ~ x + (1 + x | g) + (1 | h)`` gives ``("y ~ x", [RandomTerm("1 + x", "g"), RandomTerm("1", "h")])``.
    """
    spans = _bar_groups(formula)
    terms = []
    fixed = formula
    for start, end in sorted(spans, reverse=True):
        inner = formula[start + 1:end - 1]
        expr, _, group = inner.partition("|")
        if group.startswith("|"):
            raise ParameterError(f"the random term {formula[start:end]!r} uses '||' (uncorrelated effects), "
                                 f"which is not supported; write one term per effect, e.g. (1 | g) + (0 + x | g).")
        terms.append(RandomTerm(expr.strip(), group.strip(), formula[start:end]))
        fixed = fixed[:start] + fixed[end:]
    terms.reverse()
    lhs, sep, rhs = fixed.partition("~")
    # remove the '+' signs the random terms leave behind
    rhs = re.sub(r"\+\s*(?=[-+]|$)", "", rhs.strip())
    rhs = re.sub(r"^\s*\+", "", rhs).strip()
    rhs = re.sub(r"\s+", " ", rhs).strip()
    return (f"{lhs.strip()} ~ {rhs or '1'}" if sep else fixed), terms


def refuse_random(formula: str, where: str) -> None:
    """A ``ParameterError`` when a fixed-effects formula holds an lme4 random term ``( ... | ... )``.

    patsy would read ``1 | g`` as a bitwise OR and fit it as a covariate without a word.
    """
    spans = _bar_groups(formula)
    if spans:
        s, e = spans[0]
        raise ParameterError(
            f"{where}: {formula[s:e]!r} is a random-effect term, which {where}() does not fit (patsy would "
            f"read '|' as a bitwise OR). Fix: fit random effects with impact.mixed() (linear) or "
            f"impact.ordinal() (one random intercept (1 | group)), or drop the term.")


# ---------------------------------------------------------------- category order


def _is_text(s: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)) \
        and not isinstance(s.dtype, pd.CategoricalDtype)


def _load_instrument(instrument: Any) -> Any:
    from ..instrument import Instrument, load_instrument

    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, str):
        return load_instrument(instrument)
    raise ParameterError(f"instrument must be an Instrument or the name of one, got {type(instrument).__name__}.")


def ordered_item(data: pd.DataFrame, item: str, instrument: Any, *, column: str | None = None,
                 lang: str | None = None) -> pd.Series:
    """An item's answers as an ordered Categorical in the order of the instrument's scale.

    Answers given as label text (in any language of the instrument, compared case- and
    space-insensitively) or as codes are both accepted. Categories are the option labels in
    ``lang`` (default: the language most answers are written in; the instrument's default language
    for codes), listed low to high as the scale lists its options; the scale's missing codes
    (e.g. 9 "Tidak menjawab") and blank cells become missing. Use it for Likert answers read as
    text, whose alphabetical order ("Puas" < "Sangat puas" < "Tidak puas") is meaningless.

    Missing data: blanks and the scale's missing codes are NA; an answer that is neither a label
    nor a code of the scale is a ``DataError`` naming the row and value.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey import impact, load_instrument
    >>> inst = load_instrument("skm_2017")
    >>> labels = [o.label["en"] for o in inst.scale_of("U1").options]
    >>> answers = pd.DataFrame({"U1": [labels[2], labels[0], labels[3]]})
    >>> s = impact.ordered_item(answers, "U1", inst)
    >>> list(s.cat.categories) == labels, s.cat.ordered
    (True, True)
    """
    from ..responses._match import norm

    inst = _load_instrument(instrument)
    column = column or item
    if column not in data.columns:
        raise DataError(f"ordered_item: no column {column!r} in the data.")
    try:
        scale = inst.scale_of(item)
    except Exception:  # noqa: BLE001 - the instrument says why in its own words; we say what to do
        scale = None
    if scale is None:
        raise DataError(f"ordered_item: {item!r} is not an item with a response scale in instrument "
                        f"{inst.id!r}. Fix: pass the item's name (column= for a renamed column).")
    langs = list(inst.languages)
    s = data[column]
    by_label = {}
    for lg in langs:
        for o in [*scale.options, *scale.missing]:
            by_label.setdefault(norm(o.label[lg]), (o.value, lg))
    options = {o.value for o in scale.options}
    missing = {o.value for o in scale.missing}
    values = np.full(len(s), np.nan)
    seen_lang: dict[str, int] = {}
    for i, v in enumerate(s.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or (isinstance(v, str) and not v.strip()):
            continue
        code = None
        if isinstance(v, (int, np.integer, float, np.floating)) and float(v).is_integer():
            code = int(v)
        elif isinstance(v, str) and norm(v) in by_label:
            code, lg = by_label[norm(v)]
            seen_lang[lg] = seen_lang.get(lg, 0) + 1
        elif isinstance(v, str) and v.strip().lstrip("-").isdigit():
            code = int(v)
        if code is None or (code not in options and code not in missing):
            allowed = ", ".join(f"{o.value} = {o.label[langs[0]]!r}" for o in scale.options)
            raise DataError(f"ordered_item: column {column!r}, row {s.index[i]!r} holds {v!r}, which is not an "
                            f"answer of item {item!r} (allowed: {allowed}). Fix: correct the answer or set it "
                            f"missing.")
        if code in options:
            values[i] = code
    if lang is None:
        lang = max(seen_lang, key=seen_lang.get) if seen_lang else inst.default_language
    labels = [o.label[lang] for o in scale.options]
    codes = [o.value for o in scale.options]
    index = {c: k for k, c in enumerate(codes)}
    cat_codes = np.array([index[int(v)] if np.isfinite(v) else -1 for v in values])
    return pd.Series(pd.Categorical.from_codes(cat_codes, categories=labels, ordered=True), index=s.index,
                     name=s.name)


def instrument_items(sub: pd.DataFrame, columns: Sequence[str], instrument: Any) -> pd.DataFrame:
    """``sub`` with the text answers of the instrument's scaled items turned into ordered Categoricals."""
    inst = _load_instrument(instrument)
    if inst is None:
        return sub
    out = sub
    for c in dict.fromkeys(columns):
        if c in sub.columns and _is_text(sub[c]) and c in inst.item_map and inst.scale_of(c) is not None:
            if out is sub:
                out = sub.copy()
            out[c] = ordered_item(sub, c, inst)
    return out


def model_frame(sub: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Copy ready for patsy: nullable numbers as float, text as object, Categoricals kept.

    patsy cannot read the nullable integer columns read_responses returns (they convert losslessly
    after listwise deletion). A Categorical keeps its categories' order, so its first category stays
    the reference level, as in R; categories no row uses any more are dropped, as R's model frames
    do (their all-zero dummy would make the design singular).
    """
    out = sub.copy()
    for c in dict.fromkeys(columns):
        if c not in out.columns:
            continue
        dt = out[c].dtype
        if isinstance(dt, pd.CategoricalDtype):
            out[c] = out[c].cat.remove_unused_categories()
        elif isinstance(dt, pd.api.extensions.ExtensionDtype):
            if pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
                out[c] = out[c].astype(float)
            else:
                out[c] = out[c].astype(object)
    return out


def levels_of(s: pd.Series) -> list:
    """Levels of a categorical column in R's order: a Categorical's own order, else sorted values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [c for c in s.cat.categories if (s == c).any()]
    return sorted(pd.unique(s.dropna()), key=lambda v: (str(type(v)), v))


def controls_matrix(sub: pd.DataFrame, controls: Sequence[str], where: str) -> dict[str, np.ndarray]:
    """Control variables as regressors: numbers as they are, categorical columns as treatment dummies.

    A Categorical keeps its order (the first category is the reference level); text and booleans
    are treated as R's ``factor()`` does (sorted levels, the first the reference). Dummies are named
    as patsy names them, ``column[T.level]``.
    """
    out: dict[str, np.ndarray] = {}
    for c in controls:
        s = sub[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or _is_text(s) or pd.api.types.is_bool_dtype(s.dtype):
            levels = levels_of(s)
            for lev in levels[1:]:
                out[f"{c}[T.{lev}]"] = (s == lev).to_numpy(dtype=float)
        else:
            from ._common import numeric

            out[c] = numeric(sub, c, where).to_numpy()
    return out


def observation_weights(sub: pd.DataFrame, weights: str | None, where: str) -> np.ndarray | None:
    """The weights column as floats, or a ``DataError`` for a negative or infinite weight."""
    if weights is None:
        return None
    from ._common import numeric

    w = numeric(sub, weights, where).to_numpy()
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row = sub.index[bad][0]
        raise DataError(f"{where}: weights column {weights!r} holds {float(w[bad][0]):g} in row {row!r}; weights "
                        f"must be finite and not negative. Fix: correct or drop that row.")
    if not (w > 0).any():
        raise DataError(f"{where}: every weight in {weights!r} is zero.")
    return w
