"""One JupyterLab server and one Chromium for all browser tests run by a pytest process (worker)."""

from __future__ import annotations

import os

import pytest

from tests.browser import harness


def require_chromium() -> None:
    """In CI (CI=true) a missing Chromium fails the test; elsewhere it skips and says how to enable it."""
    reason = harness.chromium_missing_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab():
    """``(base_url, token, chromium)``: JupyterLab serving copies of every notebook, and a browser."""
    require_chromium()
    with harness.jupyter_lab(harness.all_notebooks()) as (base, token, _root), harness.browser() as chromium:
        yield base, token, chromium
