"""Helpers shared by the lesson tests."""

from __future__ import annotations

import io

import numpy as np
import PIL.Image

from lessonkit.figures import canvas_png


def pixels(png) -> np.ndarray:
    """A PNG (bytes or memoryview) as an (H, W, 3) integer array."""
    return np.asarray(PIL.Image.open(io.BytesIO(bytes(png))).convert("RGB"), dtype=int)


def mismatch_with_full_redraw(explorer) -> float:
    """Fraction of pixels where the explorer's last (blitted) frame differs from a full redraw of
    the same figure -- 0 means the fast path shows exactly what matplotlib would draw."""
    fast = pixels(explorer.image.value)
    animated = list(explorer._animated)
    for artist in animated:
        artist.set_animated(False)
    try:
        explorer.canvas.draw()
        full = pixels(canvas_png(explorer.canvas))
    finally:
        for artist in animated:
            artist.set_animated(True)
        explorer.redraw_background()
    assert fast.shape == full.shape
    return float((np.abs(fast - full).max(axis=2) > 0).mean())
