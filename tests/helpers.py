"""Helpers shared by the lesson tests."""

from __future__ import annotations

import io

import numpy as np
import PIL.Image

from lessonkit.figures import canvas_rgb


def pixels(image) -> np.ndarray:
    """An encoded picture (PNG or JPEG; bytes or memoryview) as an (H, W, 3) integer array."""
    return np.asarray(PIL.Image.open(io.BytesIO(bytes(image))).convert("RGB"), dtype=int)


def is_picture(image) -> bool:
    """Whether bytes are a PNG or JPEG picture (an explorer frame)."""
    data = bytes(image)
    return data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8\xff")


def frame_pixels(explorer) -> np.ndarray:
    """The explorer's last frame exactly as drawn, before encoding: (H, W, 3) integers."""
    return canvas_rgb(explorer.canvas).astype(int)


def mismatch_with_full_redraw(explorer) -> float:
    """Fraction of pixels where the explorer's last (blitted, text-cached) frame differs from a full
    redraw of the same figure by matplotlib's own Agg renderer -- 0 means the fast path shows exactly
    what matplotlib would draw. Compares the drawn pixels (the canvas after the last refresh), so a
    lossy encoding of frames cannot hide or fake a difference; ``encoding_error`` checks the encoding
    separately."""
    from matplotlib.backends.backend_agg import RendererAgg

    fast = frame_pixels(explorer)
    width, height = explorer.canvas.get_width_height(physical=True)
    renderer = RendererAgg(width, height, explorer.fig.dpi)  # not the explorer's canvas, nor its caches
    animated = list(explorer._animated)
    for artist in animated:
        artist.set_animated(False)
    try:
        explorer.fig.draw(renderer)
    finally:
        for artist in animated:
            artist.set_animated(True)
    full = np.asarray(renderer.buffer_rgba())[..., :3].astype(int)
    assert fast.shape == full.shape
    return float((np.abs(fast - full).max(axis=2) > 0).mean())


def encoding_error(explorer) -> tuple[float, float]:
    """How far the published picture is from the drawn frame: (fraction of pixels off by more than 16
    levels in some channel, mean absolute error per channel). (0, 0) for a lossless encoding."""
    sent, drawn = pixels(explorer.image.value), frame_pixels(explorer)
    assert sent.shape == drawn.shape
    error = np.abs(sent - drawn)
    return float((error.max(axis=2) > 16).mean()), float(error.mean())


def lesson_explorers() -> dict[str, type]:
    """Every explorer a lesson module offers, by lesson name -> class (also those a lesson re-exports
    from a module split out of it, e.g. lesson 6's himmelblau_explorer)."""
    import lessonkit
    from lessonkit.widgets import Explorer

    found: dict[type, str] = {}
    for name, module in zip(lessonkit.LESSONS, lessonkit.lesson_modules()):
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Explorer) and value is not Explorer
                    and value.__module__.startswith("lessonkit.")):
                found.setdefault(value, name)
    return {f"{lesson}.{cls.__name__}": cls for cls, lesson in found.items()}
