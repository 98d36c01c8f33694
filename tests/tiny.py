"""A three-item instrument and six answers, shared by the trend and widget tests."""
from __future__ import annotations

import pandas as pd

from survey.instrument import instrument_from_dict

LANGS = {"id": "Bahasa Indonesia", "en": "English"}


def tiny_instrument():
    """Three 1-5 items of one construct, A3 reverse-keyed."""
    return instrument_from_dict({
        "id": "tiny", "version": "1", "title": {"id": "Kecil", "en": "Tiny"}, "languages": LANGS,
        "default_language": "id",
        "scales": {"s5": {"options": [{"value": v, "label": {"id": f"n{v}", "en": f"v{v}"}} for v in range(1, 6)]}},
        "constructs": {"a": {"label": {"id": "Konstruk A", "en": "Construct A"}}},
        "items": [{"name": n, "scale": "s5", "construct": "a", "reverse": n == "A3",
                   "label": {"id": f"butir {n}", "en": f"item {n}"}} for n in ("A1", "A2", "A3")],
    })


TINY = pd.DataFrame({"A1": [1, 2, 3, 4, 5, 2], "A2": [2, 2, 4, 5, 4, 1], "A3": [5, 4, 3, 2, 1, 4]}).astype("Int64")
