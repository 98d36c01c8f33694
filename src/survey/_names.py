"""Variable names other tools accept.

Shared by the SPSS writer (:func:`survey.forms.write_sav`) and the response reader, which undoes
the renaming when it reads such a file back; neither depends on the other through this module.
"""
from __future__ import annotations

import re

SPSS_NAME = re.compile(r"^[A-Za-z@#$][A-Za-z0-9_.@#$]{0,63}$")
"""A name SPSS accepts as it is: letter (or @ # $) first; letters, digits, _ . @ # $; at most 64."""


def spss_name(name: str, taken: set[str]) -> str:
    """A variable name SPSS accepts (letter first; letters, digits, _ . @ # $; at most 64), unique
    among ``taken`` (lower-cased): ``_uuid`` -> ``uuid``, ``reaksi/topik/1`` -> ``reaksi_topik_1``.

    Examples
    --------
    >>> spss_name("_uuid", set())
    'uuid'
    >>> spss_name("reaksi/topik/1", set())
    'reaksi_topik_1'
    >>> spss_name("1st", {"v_1st"})
    'v_1st_2'
    """
    new = re.sub(r"[^A-Za-z0-9_.@#$]", "_", str(name)).lstrip("_.") or "v"
    if not re.match(r"[A-Za-z@#$]", new):
        new = "v_" + new
    new = new[:64].rstrip(".")
    base, k = new, 1
    while new.lower() in taken:
        k += 1
        new = f"{base[:60]}_{k}"
    return new
