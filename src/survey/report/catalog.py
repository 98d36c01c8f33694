"""Message catalogs: every word a report shows besides the instrument's own texts.

Wording lives in YAML files, one per area, in ``survey/report/messages/<area>.yaml``. Each file maps
a key to one text per report language::

    summary_title:
      id: Ringkasan
      en: Summary

and the key is used as ``"<area>.<key>"`` (``t("common.summary_title", "id")``). Texts are
:meth:`str.format` templates: ``{ikm}`` is filled from the keyword arguments of :func:`t`. Numbers are
formatted by the caller (:mod:`survey.report.formatting`) so that the catalog never decides digits.

The files are read once through the workbench's one YAML loader (:mod:`survey._yaml`: safe, and
libyaml's C parser for plain files like these) and checked: every key has a text in every report
language and nothing else.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from .._checks import LANGS, check_lang
from .._yaml import load_yaml
from ..errors import ParameterError

MESSAGES_DIR = Path(__file__).with_name("messages")
"""The folder of the catalogs, one ``<area>.yaml`` per report area."""


def _check_area(area: str, data: object, path: Path) -> dict[str, dict[str, str]]:
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: a message catalog maps keys to {{id: ..., en: ...}}; found {type(data).__name__}")
    out: dict[str, dict[str, str]] = {}
    for key, texts in data.items():
        if not isinstance(key, str) or not isinstance(texts, dict):
            raise ParameterError(f"{path}: key {key!r} must map each language to a text")
        langs = set(texts)
        if langs != set(LANGS):
            raise ParameterError(f"{path}: key {key!r} has languages {sorted(langs)}; give exactly {list(LANGS)}")
        for lang, text in texts.items():
            if not isinstance(text, str):
                raise ParameterError(f"{path}: {key}.{lang} must be a text, found {text!r}")
            try:
                list(string.Formatter().parse(text))
            except ValueError as exc:
                raise ParameterError(f"{path}: {key}.{lang} is not a valid template ({exc})") from None
        out[key] = {lang: texts[lang] for lang in LANGS}
    return out


@lru_cache(maxsize=None)
def load_catalog(area: str) -> dict[str, dict[str, str]]:
    """The messages of one area (``messages/<area>.yaml``), checked: ``{key: {lang: text}}``.

    >>> load_catalog("common")["summary_title"]["en"]
    'Summary'
    """
    if not area.replace("_", "").isalnum():
        raise ParameterError(f"message area {area!r}: use letters, digits and '_' only")
    path = MESSAGES_DIR / f"{area}.yaml"
    if not path.is_file():
        known = ", ".join(areas())
        raise ParameterError(f"no message catalog {area!r}; the areas are: {known}")
    data = load_yaml(path, error=ParameterError) or {}
    return _check_area(area, data, path)


def areas() -> list[str]:
    """The catalog areas that exist (file names without ``.yaml``).

    >>> "common" in areas()
    True
    """
    return sorted(p.stem for p in MESSAGES_DIR.glob("*.yaml"))


def has(key: str) -> bool:
    """Whether ``"<area>.<key>"`` is in a catalog.

    >>> has("common.summary_title"), has("common.no_such_key")
    (True, False)
    """
    area, _, name = key.partition(".")
    if not name or area not in areas():
        return False
    return name in load_catalog(area)


def t(key: str, lang: str, /, **values: object) -> str:
    """The text of ``key`` (``"<area>.<key>"``) in ``lang``, with ``{placeholders}`` filled from ``values``.

    The result is plain text, not HTML: it is escaped where it is inserted (:func:`survey.report.paragraph`,
    :func:`survey.report.table`). A missing key or placeholder is a ``ParameterError`` naming it.

    Examples
    --------
    >>> t("common.summary_title", "id")
    'Ringkasan'
    >>> t("common.n_respondents", "en", n="1,440")
    '1,440 respondents'
    """
    check_lang(lang)
    area, _, name = key.partition(".")
    if not name:
        raise ParameterError(f"message key {key!r}: write it as '<area>.<key>', e.g. 'common.summary_title'")
    catalog = load_catalog(area)
    if name not in catalog:
        raise ParameterError(f"no message {name!r} in the {area!r} catalog ({MESSAGES_DIR / (area + '.yaml')})")
    text = catalog[name][lang]
    try:
        return text.format(**values)
    except (KeyError, IndexError) as exc:
        raise ParameterError(f"message {key!r} needs the value {exc.args[0]!r}") from None
