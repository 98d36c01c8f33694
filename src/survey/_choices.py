"""Fixed choices shared by the package and the ``survey`` command.

They live in a module that imports nothing, so the command builds its options and help without
loading pandas: a ``survey run`` whose reports are all reused stays well under two seconds.
``survey.responses.SOURCES``, ``survey.simulate.SCALES`` and ``survey.simulate.DEMO_SEED`` are
these same objects.
"""
from __future__ import annotations

SOURCES = ("auto", "plain", "kobo", "odk", "google", "limesurvey", "spss")
"""The values of ``source=``: ``auto`` detects the tool from the header (see
:func:`survey.responses.detect_source`)."""

SCALES = {
     # name: units, employees per unit, waves, citizen responses per service unit and wave
    "small": dict(n_units=24, emp_per_unit=12, waves=5, skm_per_unit_wave=40),
    "full": dict(n_units=40, emp_per_unit=50, waves=6, skm_per_unit_wave=105),
}
"""Sizes of the synthetic demo data (``survey demo --scale``)."""

DEMO_SEED = 20261127
"""The demo data's seed. Not :data:`survey._checks.DEFAULT_SEED`: the notebooks, the tests and the
published demo figures are all made from the data this seed gives, and another seed gives other data."""
