"""Shared fixtures: the project root and small demo data generated once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_SEED = 20261127


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """Small demo data written by the real generator (the same call `survey demo` makes)."""
    from survey.simulate import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=DEMO_SEED, scale="small")
    return out
