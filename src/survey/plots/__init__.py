"""Seaborn figures. Every function returns a matplotlib Figure and shows nothing.

One submodule per analysis area; the functions are re-exported here.
"""
from __future__ import annotations
