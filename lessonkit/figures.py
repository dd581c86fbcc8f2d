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
from matplotlib.image import AxesImage

# Sizes on screen: a static figure is shown at ``figsize * 100`` CSS px (a retina PNG), so a font of
# s points is s * 100 / 72 CSS px tall; an explorer at ``dpi`` CSS px per inch (80 by default): s * 80 / 72.
# The course's rule is text >= 12 CSS px at 1280x720 (tests/test_figure_text.py), i.e. >= 8.7 pt in a
# static figure and >= 10.8 pt in an explorer at 80 CSS px per inch. Relative sizes ("small", "x-small")
# follow ``font.size``; the sizes below never go under 11 pt. Use TEXT_COLOR / ink() for coloured text.
MIN_TEXT_PX = 12.0
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "figure.titlesize": 13,
    "text.color": "#1a1a1a",
    "axes.labelcolor": "#1a1a1a",
    "xtick.labelcolor": "#1a1a1a",
    "ytick.labelcolor": "#1a1a1a",
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
TEXT_COLOR = "#1a1a1a"  # near-black: 17:1 on white


def relative_luminance(color) -> float:
    """WCAG 2 relative luminance of a matplotlib colour (alpha ignored)."""
    rgb = np.asarray(matplotlib.colors.to_rgb(color), dtype=float)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(foreground, background) -> float:
    """WCAG 2 contrast ratio between two colours, 1 (none) to 21 (black on white). AA asks >= 4.5 for
    text (>= 3 for text >= 24 px, or >= 18.7 px bold)."""
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_color_on(background) -> str:
    """Black-ish or white text, whichever contrasts more with ``background`` (e.g. a heatmap cell's
    colour): every colour has >= 4.5:1 with one of the two."""
    return TEXT_COLOR if contrast_ratio(TEXT_COLOR, background) >= contrast_ratio("white", background) else "white"


def ink(color, background="white", ratio: float = 4.5) -> str:
    """``color`` darkened (or lightened, on a dark background) just enough to be readable as text on
    ``background``: same hue, contrast >= ``ratio``. E.g. ink(COLORS["orange"]) for an orange label."""
    rgb = np.asarray(matplotlib.colors.to_rgb(color), dtype=float)
    target = np.zeros(3) if relative_luminance(background) > 0.18 else np.ones(3)
    for step in np.linspace(0.0, 1.0, 101):
        mixed = (1 - step) * rgb + step * target
        if contrast_ratio(mixed, background) >= ratio:
            return matplotlib.colors.to_hex(mixed)
    return matplotlib.colors.to_hex(target)


# Chinese text in figures: Noto Sans CJK SC, installed from PyPI with the course (the mplfonts package),
# so no system font is assumed. DejaVu Sans stays first (Latin, Greek and maths glyphs look as in the
# English edition); matplotlib falls back to the CJK font glyph by glyph.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
LATIN_FAMILY = "DejaVu Sans"


def cjk_family() -> str:
    """Register the course's CJK font with matplotlib once; returns its family name."""
    from importlib.resources import files

    from matplotlib import font_manager

    path = str(files("mplfonts") / "fonts" / CJK_FONT_FILE)
    if path not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def apply_style(lang: str = "en") -> None:
    """Readable fonts (with CJK glyphs for Chinese), light grids and (inside IPython) sharp retina PNGs."""
    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["font.family"] = [LATIN_FAMILY, cjk_family()] if lang == "zh" else ["sans-serif"]
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


def canvas_rgb(canvas) -> np.ndarray:
    """What an Agg canvas has drawn, as an opaque (H, W, 3) uint8 array (a view: copy it to keep it)."""
    return np.asarray(canvas.buffer_rgba())[:, :, :3]


def canvas_png(canvas, compress_level: int = 1) -> bytes:
    """Encode what an Agg canvas has drawn as PNG: opaque RGB, lossless, deterministic bytes.

    Level 1 (the default) is for pictures sent while someone waits; level 6 for pictures stored in a
    notebook (10 % smaller; level 9 saves 3 % more at 3x the time).
    """
    width, height = canvas.get_width_height(physical=True)
    pixels = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    pixels.convert("RGB").save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def canvas_jpeg(canvas, quality: int = 95) -> bytes:
    """Encode what an Agg canvas has drawn as JPEG with full-resolution colour (4:4:4).

    At quality 95 the largest error next to a line or a letter is a few levels out of 255 on < 0.3 %
    of the pixels, invisible at one image pixel per device pixel; libjpeg-turbo encodes a 2x explorer
    frame (1-1.6 megapixels) in 3-4 ms, where lossless PNG takes 10-25 ms (see README: explorers).
    """
    width, height = canvas.get_width_height(physical=True)
    pixels = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    pixels.convert("RGB").save(buffer, format="jpeg", quality=quality, subsampling=0)
    return buffer.getvalue()


def heatmap(ax: Axes, matrix, *, labels: Sequence[str] | None = None, annotate: bool = True,
            diverging: bool = True, fmt: str = "{:+.3f}", vmax: float | None = None,
            cmap: str | None = None, vmin: float | None = None, mesh: bool = False):
    """Show a small matrix as coloured cells; diverging = red for positive, blue for negative.

    ``mesh=True`` draws the cells as a QuadMesh (``pcolormesh``) instead of an image: the same picture,
    redrawn about 25x faster (0.3 ms instead of 7 ms for a 3x3 matrix at 2x), because an image is
    resampled to the screen on every draw; what explorers use.

    Each number is drawn black or white, whichever is readable on its cell (WCAG AA). Pass ``cmap`` /
    ``vmin`` / ``vmax`` here rather than changing them afterwards; if you do change them, call
    :func:`color_annotations` again. Returns the ``AxesImage`` (update it in place with
    :func:`update_heatmap`) and the list of text artists.
    """
    values = np.asarray(matrix, dtype=float)
    if diverging:
        limit = vmax if vmax is not None else (float(np.nanmax(np.abs(values))) or 1.0)
        low, high = -limit, limit
    else:
        low, high = vmin, vmax
    colormap = cmap or ("RdBu_r" if diverging else "viridis")
    rows, cols = values.shape
    if mesh:
        image = ax.pcolormesh(np.arange(cols + 1) - 0.5, np.arange(rows + 1) - 0.5, values, cmap=colormap,
                              vmin=low, vmax=high)
        ax.set_aspect("equal")
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)  # row 0 on top, as an image shows it
    else:
        image = ax.imshow(values, cmap=colormap, vmin=low, vmax=high)
    ax.grid(False)
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    if labels is not None:
        ax.set_xticklabels(labels[:cols])
        ax.set_yticklabels(labels[:rows])
    texts = []
    if annotate:
        for i in range(rows):
            for j in range(cols):
                texts.append(ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize="medium"))
        color_annotations(image, texts)
    return image, texts


def color_annotations(image, texts) -> None:
    """Each number of a heatmap in black or white, whichever is readable on its cell's colour (WCAG AA).
    Call it after changing the image's colormap or limits."""
    values = np.asarray(image.get_array(), dtype=float)
    cells = image.to_rgba(np.nan_to_num(values).ravel())
    for text, cell in zip(texts, cells):
        text.set_color(text_color_on(cell[:3]))


def update_heatmap(image, texts, matrix, *, fmt: str = "{:+.3f}", vmax: float | None = None,
                   diverging: bool = True) -> None:
    """Refresh a heatmap made by :func:`heatmap` in place (same shape)."""
    values = np.asarray(matrix, dtype=float)
    if isinstance(image, AxesImage):
        image.set_data(values)
    else:  # a QuadMesh (heatmap(..., mesh=True))
        image.set_array(values)
    finite = values[np.isfinite(values)]
    limit = vmax if vmax is not None else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
    image.set_clim(-limit if diverging else float(finite.min(initial=0)), limit)
    for text, value in zip(texts, values.ravel()):
        text.set_text(fmt.format(value))
    color_annotations(image, texts)


def mark_points(ax: Axes, points, *, labels: Sequence[str] | None = None, color: str = "white",
                marker: str = "*", size: float = 180, **kw):
    """Mark points (e.g. minima) with a star and optional labels."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    artist = ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=size, c=color, edgecolors="black", zorder=5, **kw)
    for k, (x, y) in enumerate(pts):
        if labels is not None:
            ax.annotate(labels[k], (x, y), xytext=(6, 6), textcoords="offset points")
    return artist
