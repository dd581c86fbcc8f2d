"""Shared test set-up: a headless matplotlib and the course's deterministic session."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

import lessonkit  # noqa: E402


@pytest.fixture(autouse=True)
def _course_session():
    """Every test starts from the state a notebook's first cell creates."""
    lessonkit.setup()
    yield
