"""The course's figure style and the plotting helpers more than one lesson uses.

Figures are ``matplotlib.figure.Figure`` objects made without pyplot: nothing is registered in
pyplot's global list, so nothing leaks, nothing is shown twice, and a figure is freed as soon as the
notebook stops referring to it. Returned as the last expression of a cell, Jupyter shows it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.figure import Figure

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
    "svg.hashsalt": "lessonkit",
}

# One palette for the whole course, so "sigmoid" or "Adam" has the same colour in every picture.
COLORS = {
    "blue": "#1f77b4",
    "orange": "#ff7f0e",
    "green": "#2ca02c",
    "red": "#d62728",
    "purple": "#9467bd",
    "grey": "#7f7f7f",
}
PALETTE = list(COLORS.values())


def apply_style() -> None:
    """Readable fonts, light grids and (inside IPython) sharp retina PNGs."""
    matplotlib.rcParams.update(STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("retina")
    except ImportError:  # plain Python: the style is all we need
        pass


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.0, **subplot_kw):
    """A pyplot-free figure and its axes (a single Axes, or an array of them)."""
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def canvas_png(canvas) -> bytes:
    """Encode what an Agg canvas has drawn as PNG, fast: opaque RGB and light zlib compression
    (about 3x quicker than ``savefig``'s defaults for an explorer-sized figure)."""
    width, height = canvas.get_width_height(physical=True)
    pixels = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    pixels.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def heatmap(ax: Axes, matrix, *, labels: Sequence[str] | None = None, annotate: bool = True,
            diverging: bool = True, fmt: str = "{:+.3f}", vmax: float | None = None):
    """Show a small matrix as coloured cells; diverging = red for positive, blue for negative.

    Returns the ``AxesImage`` (update it in place with ``set_data``) and the list of text artists.
    """
    values = np.asarray(matrix, dtype=float)
    limit = vmax if vmax is not None else (float(np.nanmax(np.abs(values))) or 1.0)
    image = ax.imshow(values, cmap="RdBu_r" if diverging else "viridis",
                      vmin=-limit if diverging else None, vmax=limit if diverging else None)
    ax.grid(False)
    rows, cols = values.shape
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    if labels is not None:
        ax.set_xticklabels(labels[:cols])
        ax.set_yticklabels(labels[:rows])
    texts = []
    if annotate:
        for i in range(rows):
            for j in range(cols):
                texts.append(ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=9))
    return image, texts


def update_heatmap(image, texts, matrix, *, fmt: str = "{:+.3f}", vmax: float | None = None,
                   diverging: bool = True) -> None:
    """Refresh a heatmap made by :func:`heatmap` in place (same shape)."""
    values = np.asarray(matrix, dtype=float)
    image.set_data(values)
    finite = values[np.isfinite(values)]
    limit = vmax if vmax is not None else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
    image.set_clim(-limit if diverging else float(finite.min(initial=0)), limit)
    for text, value in zip(texts, values.ravel()):
        text.set_text(fmt.format(value))


def mark_points(ax: Axes, points, *, labels: Sequence[str] | None = None, color: str = "white",
                marker: str = "*", size: float = 180, **kw):
    """Mark points (e.g. minima) with a star and optional labels."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    artist = ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=size, c=color, edgecolors="black", zorder=5, **kw)
    for k, (x, y) in enumerate(pts):
        if labels is not None:
            ax.annotate(labels[k], (x, y), xytext=(6, 6), textcoords="offset points", fontsize=9)
    return artist
