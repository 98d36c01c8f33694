"""The lavaan model syntax for measurement models: ``f =~ x1 + x2 + x3`` and ``x1 ~~ x2``."""
from __future__ import annotations

import dataclasses
import re

from ..errors import DataError

__all__ = ["CFAModel", "parse_model"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclasses.dataclass(frozen=True)
class CFAModel:
    """A measurement model parsed from lavaan syntax (see :func:`parse_model`): ``factors`` maps
    each factor to its indicators (the first is the marker), ``residual_covs`` lists the pairs
    given with ``~~``."""

    factors: dict[str, list[str]]
    residual_covs: list[tuple[str, str]]

    @property
    def items(self) -> list[str]:
        """The indicators in model order, each once."""
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out


def parse_model(text: str) -> CFAModel:
    """Parse the lavaan subset used for measurement models: ``f =~ x1 + x2 + x3`` (one factor per
    line or ``;``-separated; the first indicator is the marker with loading 1) and residual
    covariances ``x1 ~~ x2``. ``#`` starts a comment. A line that is neither, or names that are
    not plain (lavaan's modifiers such as ``0.5*x1``), raise :class:`~survey.errors.DataError`
    naming the line.

    Examples
    --------
    >>> m = parse_model("relevance =~ REL1 + REL2 + REL3; REL2 ~~ REL3  # residual covariance")
    >>> m.factors, m.residual_covs
    ({'relevance': ['REL1', 'REL2', 'REL3']}, [('REL2', 'REL3')])
    """
    factors: dict[str, list[str]] = {}
    covs: list[tuple[str, str]] = []
    name = _NAME
    for n_line, raw in enumerate(text.replace(";", "\n").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=~" in line:
            lhs, rhs = (s.strip() for s in line.split("=~", 1))
            terms = [t.strip() for t in rhs.split("+")]
            if not name.match(lhs) or not terms or not all(name.match(t) for t in terms):
                raise DataError(f"cfa: cannot read model line {n_line}: {raw.strip()!r}; write it as "
                                "'factor =~ item1 + item2 + item3' (plain names, no modifiers)")
            factors.setdefault(lhs, [])
            factors[lhs] += [t for t in terms if t not in factors[lhs]]
        elif "~~" in line:
            lhs, rhs = (s.strip() for s in line.split("~~", 1))
            if not name.match(lhs) or not name.match(rhs):
                raise DataError(f"cfa: cannot read model line {n_line}: {raw.strip()!r}")
            if lhs != rhs:
                covs.append((lhs, rhs))
        else:
            raise DataError(f"cfa: model line {n_line} ({raw.strip()!r}) is neither 'f =~ items' nor 'x ~~ y'")
    if not factors:
        raise DataError("cfa: the model defines no factor; write e.g. 'relevance =~ REL1 + REL2 + REL3'")
    for f, its in factors.items():
        if len(its) < 2:
            raise DataError(f"cfa: factor {f} has {len(its)} indicator; give it at least 2 (3 for a one-factor model)")
    items = CFAModel(factors, covs).items
    for a, b in covs:
        for v in (a, b):
            if v not in items and v not in factors:
                raise DataError(f"cfa: {v} in '{a} ~~ {b}' is neither an indicator nor a factor")
        if (a in factors) != (b in factors):
            raise DataError(f"cfa: '{a} ~~ {b}' mixes a factor and an item")
    return CFAModel(factors, covs)

