"""The lavaan model syntax for measurement models: latent variables ``f =~ x1 + x2 + x3``,
(co)variances ``x1 ~~ x2``, regressions among latent variables ``f2 ~ f1``, and the modifiers
``1*x`` (fixed value), ``NA*x`` (free) and ``a*x`` (a label: parameters with the same label are
equal)."""
from __future__ import annotations

import dataclasses
import re

from ..errors import ParameterError

__all__ = ["CFAModel", "ModelTerm", "parse_model"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# lavaan operators outside the subset, longest first so that "=~" is not read as "="
_OTHER_OPS = (":=", "==", "<~", "~*~", "|", "<", ">", "%")


@dataclasses.dataclass(frozen=True)
class ModelTerm:
    """One parameter written in the model: ``lhs op rhs`` with its modifier (``fixed`` value,
    ``free`` for ``NA*``, or a ``label``)."""

    lhs: str
    op: str
    rhs: str
    fixed: float | None = None
    free: bool = False
    label: str | None = None


@dataclasses.dataclass(frozen=True)
class CFAModel:
    """A measurement model parsed from lavaan syntax (see :func:`parse_model`): ``factors`` maps
    each factor to its indicators (in order; the first is the marker unless ``std_lv``),
    ``residual_covs`` lists the pairs given with ``~~`` (covariances, not variances),
    ``regressions`` the ``(lhs, rhs)`` pairs given with ``~`` and ``terms`` every written
    parameter with its modifier."""

    factors: dict[str, list[str]]
    residual_covs: list[tuple[str, str]]
    regressions: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    terms: list[ModelTerm] = dataclasses.field(default_factory=list)

    @property
    def items(self) -> list[str]:
        """The indicators in model order, each once."""
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out


def _term(raw: str, n_line: int, line: str) -> tuple[str, float | None, bool, str | None]:
    """A right-hand-side term ``[modifier*]name`` as (name, fixed value, free, label)."""
    parts = [p.strip() for p in raw.split("*")]
    if len(parts) > 2 or not parts[-1]:
        raise ParameterError(f"cfa: model line {n_line} ({line!r}): cannot read the term {raw.strip()!r}; "
                             "write 'name', '1*name', 'NA*name' or 'label*name'")
    name = parts[-1]
    if not _NAME.match(name):
        raise ParameterError(f"cfa: model line {n_line} ({line!r}): {name!r} is not a variable name "
                             "(letters, digits, '_' and '.')")
    if len(parts) == 1:
        return name, None, False, None
    mod = parts[0]
    if mod == "NA":
        return name, None, True, None
    if _NUMBER.match(mod):
        return name, float(mod), False, None
    if _NAME.match(mod):
        return name, None, False, mod
    raise ParameterError(f"cfa: model line {n_line} ({line!r}): the modifier {mod!r} is not supported; "
                         "use a number (fixed value), NA (free) or a label (equality); "
                         "c(), start() and equal() are not supported")


def parse_model(text: str) -> CFAModel:
    """Parse the lavaan subset for measurement models.

    * ``f =~ x1 + x2 + x3``: a latent variable and its indicators (the first indicator is the
      marker with loading 1 unless ``std_lv`` or a modifier says otherwise);
    * ``x1 ~~ x2``: a residual covariance (``x1 ~~ x1`` a variance), also between factors;
    * ``f2 ~ f1 + f3``: regressions among latent variables;
    * modifiers before a right-hand name: ``0.8*x`` fixes the parameter, ``NA*x`` frees it (e.g.
      the marker), ``a*x`` labels it: parameters with the same label are held equal (in every
      group, as lavaan does with a single label).

    One statement per line or ``;``-separated; ``#`` starts a comment. Anything else (``~ 1``
    intercepts, ``|`` thresholds, ``:=``, ``==``, ``<``, ``>``, ``c()``, regressions on observed
    variables) raises :class:`~survey.errors.ParameterError` naming the line and the token.

    Examples
    --------
    >>> m = parse_model("relevance =~ REL1 + REL2 + REL3; REL2 ~~ REL3  # residual covariance")
    >>> m.factors, m.residual_covs
    ({'relevance': ['REL1', 'REL2', 'REL3']}, [('REL2', 'REL3')])
    >>> m = parse_model("f1 =~ a*x1 + a*x2 + x3; f2 =~ NA*y1 + y2 + y3; f2 ~~ 1*f2; f2 ~ f1")
    >>> m.regressions, [(t.rhs, t.label) for t in m.terms if t.label]
    ([('f2', 'f1')], [('x1', 'a'), ('x2', 'a')])
    """
    factors: dict[str, list[str]] = {}
    covs: list[tuple[str, str]] = []
    regs: list[tuple[str, str]] = []
    terms: list[ModelTerm] = []
    for n_line, raw in enumerate(text.replace(";", "\n").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for op in ("=~", "~~", "~"):
            if op in line:
                break
        else:
            op = None
        if op is None or any(o in line for o in _OTHER_OPS):
            bad = next((o for o in _OTHER_OPS if o in line), None)
            what = (f"the operator {bad!r} is not supported" if bad else
                    "it is neither 'f =~ items', 'x ~~ y' nor 'f2 ~ f1'")
            raise ParameterError(f"cfa: model line {n_line} ({raw.strip()!r}): {what}; the supported subset is "
                                 "'f =~ x1 + x2', 'x1 ~~ x2' and regressions among factors 'f2 ~ f1'")
        lhs, rhs = (s.strip() for s in line.split(op, 1))
        if not _NAME.match(lhs):
            raise ParameterError(f"cfa: model line {n_line} ({raw.strip()!r}): {lhs!r} is not a variable name")
        pieces = [t for t in rhs.split("+")]
        if not rhs or any(not t.strip() for t in pieces):
            raise ParameterError(f"cfa: model line {n_line} ({raw.strip()!r}): an empty term; write e.g. "
                                 "'factor =~ item1 + item2 + item3'")
        for piece in pieces:
            if piece.strip() == "1" and op == "~":
                raise ParameterError(f"cfa: model line {n_line} ({raw.strip()!r}): the intercept term '1' "
                                     "is not supported (means are set by the estimator and group.equal)")
            name, fixed, free, label = _term(piece, n_line, raw.strip())
            if op == "=~":
                factors.setdefault(lhs, [])
                if name not in factors[lhs]:
                    factors[lhs].append(name)
            elif op == "~~":
                if lhs != name:
                    covs.append((lhs, name))
            else:
                regs.append((lhs, name))
            terms.append(ModelTerm(lhs, op, name, fixed, free, label))
    if not factors:
        raise ParameterError("cfa: the model defines no factor; write e.g. 'relevance =~ REL1 + REL2 + REL3'")
    for f, its in factors.items():
        if len(its) < 2:
            raise ParameterError(f"cfa: factor {f} has {len(its)} indicator; give it at least 2 (3 for a "
                                 "one-factor model)")
    items = CFAModel(factors, covs).items
    for f in factors:
        if f in items:
            raise ParameterError(f"cfa: {f} is both a factor and an indicator; second-order factors are not "
                                 "supported")
    for a, b in covs:
        for v in (a, b):
            if v not in items and v not in factors:
                raise ParameterError(f"cfa: {v} in '{a} ~~ {b}' is neither an indicator nor a factor")
        if (a in factors) != (b in factors):
            raise ParameterError(f"cfa: '{a} ~~ {b}' mixes a factor and an item")
    for t in terms:
        if t.op == "~~" and t.lhs == t.rhs and t.lhs not in items and t.lhs not in factors:
            raise ParameterError(f"cfa: {t.lhs} in '{t.lhs} ~~ {t.rhs}' is neither an indicator nor a factor")
    for a, b in regs:
        for v in (a, b):
            if v not in factors:
                raise ParameterError(f"cfa: {v} in '{a} ~ {b}' is not a factor; only regressions among "
                                     "latent variables are supported")
        if a == b:
            raise ParameterError(f"cfa: '{a} ~ {b}' regresses a factor on itself")
    return CFAModel(factors, covs, regs, terms)
