"""Text in every figure of the course is readable when presented at 1280x720.

What is checked, for every lesson figure (each figure a notebook shows, with the notebook's own
arguments: the notebook's code cells are run in-process and every Figure a cell shows is collected;
plus every ``plot_*`` function whose arguments all have defaults) and every explorer's first frame:

- size: every drawn text is >= 12 CSS px as displayed. A static figure is a retina PNG shown at
  its tight bounding box x ``fig.dpi`` CSS px, shrunk to the 1,119-px output width of a 1280-px
  deck slide if wider; an explorer at ``explorer.dpi`` CSS px per inch. A font of s pt is then
  ``s * dpi / 72 * shrink`` px.
- contrast: text colour (alpha included) against what is behind it (the figure rendered without
  its text, median colour under the text's box; a text's own box patch if it has one) >= 4.5:1
  (WCAG AA; 3:1 for text >= 24 px, or >= 18.7 px bold).
- clipping: no text cut by its clip box (axes) or, in an explorer, by the picture's edge.
- overlap: no two texts overlap; no line or contour line runs through a frameless legend.

A failure names the figure (notebook cell or function, or explorer) and the text.
Usage and the current failures: /tmp/team/figure-text.md (lesson engineers fix their modules).

    .venv/bin/python -m pytest tests/test_figure_text.py -q            # everything (~2-4 min)
    .venv/bin/python -m pytest tests/test_figure_text.py -q -k losses  # one lesson
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import lessonkit
from lessonkit.figures import MIN_TEXT_PX, contrast_ratio
from tests.helpers import lesson_explorers

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("0*.ipynb"))
SLIDE_OUTPUT_WIDTH = 1119  # CSS px: the width of an output in a 1280x720 deck slide (deck engineer)


# ---- measuring ---------------------------------------------------------------------------------------

@dataclass
class Drawn:
    text: Text
    bbox: object  # display-coordinate Bbox (pixels of the render)


@contextlib.contextmanager
def _texts_recorded(hide: bool = False):
    """Within: every Text drawn is recorded (or, with hide=True, skipped), so only texts really drawn
    count (tick labels outside the view are not drawn)."""
    original = Text.draw
    drawn: list[Text] = []

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
            if hide:
                return None
        return original(self, renderer)

    Text.draw = draw
    try:
        yield drawn
    finally:
        Text.draw = original


def _render(fig: Figure, hide_text: bool = False):
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    animated = [a for a in fig.findobj() if a.get_animated()]
    for artist in animated:
        artist.set_animated(False)
    try:
        with _texts_recorded(hide=hide_text) as drawn:
            canvas.draw()
        renderer = canvas.get_renderer()
        texts = [Drawn(t, t.get_window_extent(renderer)) for t in dict.fromkeys(drawn)]
        pixels = np.asarray(canvas.buffer_rgba())[:, :, :3].astype(float) / 255
        return texts, pixels.copy(), renderer
    finally:
        for artist in animated:
            artist.set_animated(True)


def _background(pixels, bbox, height):
    x0, x1 = int(max(0, np.floor(bbox.x0))), int(min(pixels.shape[1], np.ceil(bbox.x1)))
    y0, y1 = int(max(0, np.floor(height - bbox.y1))), int(min(pixels.shape[0], np.ceil(height - bbox.y0)))
    if x1 <= x0 or y1 <= y0:
        return None
    return np.median(pixels[y0:y1, x0:x1].reshape(-1, 3), axis=0)


def _label(text: Text) -> str:
    return repr(text.get_text()[:40])


def problems(fig: Figure, css_per_inch: float, shown_width: float, *, picture_edge: bool) -> list[str]:
    """Every rule this figure breaks, one line each."""
    shrink = min(1.0, SLIDE_OUTPUT_WIDTH / shown_width)
    texts, _, renderer = _render(fig)
    _, behind, _ = _render(fig, hide_text=True)
    height = behind.shape[0]
    found = []
    for item in texts:
        text, bbox = item.text, item.bbox
        size = text.get_fontsize() * css_per_inch / 72 * shrink
        if size < MIN_TEXT_PX - 0.05:
            found.append(f"text {_label(text)} is {size:.1f} px "
                         f"(< {MIN_TEXT_PX:g} px; font {text.get_fontsize():g} pt)")
        patch = text.get_bbox_patch()
        if patch is not None and patch.get_fill() and patch.get_facecolor()[3] > 0.5:
            back = np.asarray(patch.get_facecolor()[:3])
        else:
            back = _background(behind, bbox, height)
        if back is not None:
            rgba = matplotlib.colors.to_rgba(text.get_color(), text.get_alpha())
            ink = rgba[3] * np.asarray(rgba[:3]) + (1 - rgba[3]) * back
            bold = str(text.get_fontweight()) in ("bold", "heavy", "black", "700", "800", "900")
            needed = 3.0 if size >= 24 or (bold and size >= 18.7) else 4.5
            ratio = contrast_ratio(ink, back)
            if ratio < needed:
                found.append(f"text {_label(text)} has contrast {ratio:.1f}:1 on its background (< {needed:g}:1)")
        visible = bbox
        clip = text.get_clip_box() if text.get_clip_on() else None
        if clip is not None:
            visible = matplotlib.transforms.Bbox.intersection(visible, clip)
        if picture_edge and visible is not None:
            visible = matplotlib.transforms.Bbox.intersection(visible, fig.bbox)
        area = bbox.width * bbox.height
        # (fully clipped away = not shown: not a defect of the text)
        if area > 0 and visible is not None and visible.width * visible.height < 0.97 * area:
            found.append(f"text {_label(text)} is cut off by the {'picture edge' if picture_edge else 'axes'}")
    for k, a in enumerate(texts):
        for b in texts[k + 1:]:
            inter = matplotlib.transforms.Bbox.intersection(a.bbox, b.bbox)
            if inter is None or inter.width < 1.5 or inter.height < 1.5:
                continue
            smaller = min(a.bbox.width * a.bbox.height, b.bbox.width * b.bbox.height)
            if inter.width * inter.height > 0.04 * smaller:
                found.append(f"texts {_label(a.text)} and {_label(b.text)} overlap")
    found += _lines_through_legends(fig, renderer)
    return found


def _lines_through_legends(fig: Figure, renderer) -> list[str]:
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend.get_frame_on():  # a framed legend covers what runs behind it
            continue
        # one box per legend entry: its text and, to the left, its handle (empty corners don't count)
        px_per_pt = fig.dpi / 72
        entries = []
        for text in legend.get_texts():
            box = text.get_window_extent(renderer)
            reach = (legend.handlelength + legend.handletextpad) * text.get_fontsize() * px_per_pt
            entries.append(matplotlib.transforms.Bbox.from_extents(box.x0 - reach, box.y0, box.x1, box.y1))
        crossing = []
        for line in ax.get_lines():
            drawn = line.get_visible() and line.get_linestyle() not in ("None", "none", "") and len(line.get_xdata())
            if drawn and _crosses(line, [line.get_path()], entries, ax):
                crossing.append(line.get_label() if not line.get_label().startswith("_") else "a line")
        for collection in ax.collections:
            if getattr(collection, "filled", False) or not collection.get_visible():
                continue
            if type(collection).__name__ not in ("LineCollection", "ContourSet", "QuadContourSet"):
                continue
            if _crosses(collection, collection.get_paths(), entries, ax):
                crossing.append(f"a {type(collection).__name__}")
        if crossing:
            found.append(f"{', '.join(sorted(set(crossing)))} runs through the legend of axes "
                         f"{ax.get_title()!r} (frameless legend: move it or give it a frame)")
    return found


def _crosses(artist, paths, boxes, ax) -> bool:
    """Whether any of ``paths`` (in the artist's coordinates) passes through any of ``boxes`` (display),
    counting only the part inside the axes for an artist clipped to them."""
    transform = artist.get_transform()
    for entry in boxes:
        box = matplotlib.transforms.Bbox.intersection(entry, ax.bbox) if artist.get_clip_on() else entry
        if box is not None and any(p.transformed(transform).intersects_bbox(box, filled=False) for p in paths):
            return True
    return False


def static_shown_width(fig: Figure) -> float:
    """CSS px a notebook shows a static figure at: IPython's inline backend saves with bbox_inches='tight'."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    tight = fig.get_tightbbox(canvas.get_renderer())
    return (tight.width + 2 * matplotlib.rcParams["savefig.pad_inches"]) * fig.dpi


# ---- collecting the figures --------------------------------------------------------------------------

def _code_cells(path: Path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def notebook_figures(path: Path) -> list[tuple[str, Figure]]:
    """Run a notebook's code cells in-process (an IPython shell, cwd = notebooks/) and keep every
    Figure a cell shows (its last expression, or display(fig))."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    collected: list[tuple[str, Figure]] = []
    where = {"cell": ""}

    def keep(fig, *args, **kwargs):
        collected.append((where["cell"], fig))
        return None

    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        for index, cell in enumerate(_code_cells(path)):
            if "Explorer(" in cell.source:  # explorers are measured on their own below
                continue
            where["cell"] = f"{path.name} cell {cell.get('id', index)}"
            formatter = shell.display_formatter.formatters["text/plain"]
            formatter.for_type(Figure, lambda fig, p, cycle: (keep(fig), p.text("<Figure>")))
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                result = shell.run_cell(cell.source, store_history=False, silent=False)
            failed = result.error_in_exec or result.error_before_exec
            if failed and "raises-exception" not in cell.metadata.get("tags", []):
                raise AssertionError(f"{where['cell']} raised {failed!r}")
    finally:
        os.chdir(previous)
        lessonkit.setup()
    return collected


def default_plot_functions() -> list:
    """``plot_*`` functions of every lessonkit module that can be called with no arguments."""
    found = []
    package = Path(lessonkit.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"lessonkit.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("plot_") and inspect.isfunction(fn) and fn.__module__ == module.__name__:
                params = inspect.signature(fn).parameters.values()
                if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
                    found.append(fn)
    return found


# ---- the tests -----------------------------------------------------------------------------------

def _check(label: str, fig: Figure, css_per_inch: float, shown_width: float, picture_edge: bool) -> list[str]:
    return [f"{label}: {p}" for p in problems(fig, css_per_inch, shown_width, picture_edge=picture_edge)]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_every_figure_a_notebook_shows(notebook):
    figures = notebook_figures(notebook)
    found = []
    for label, fig in figures:
        found += _check(f"{label} ({fig.get_figwidth():g}x{fig.get_figheight():g} in)", fig, fig.dpi,
                        static_shown_width(fig), picture_edge=False)
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


@pytest.mark.parametrize("fn", default_plot_functions(), ids=lambda fn: f"{fn.__module__.split('.')[-1]}.{fn.__name__}")
def test_every_plot_function_with_its_defaults(fn):
    fig = fn()
    found = _check(f"{fn.__module__}.{fn.__name__}()", fig, fig.dpi, static_shown_width(fig), picture_edge=False)
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


EXPLORERS = list(lesson_explorers().values())  # also explorers a lesson re-exports


@pytest.mark.parametrize("cls", EXPLORERS, ids=[cls.__name__ for cls in EXPLORERS])
def test_every_explorer_first_frame(cls):
    explorer = cls()
    try:
        width, _ = explorer.css_size
        found = _check(f"{cls.__module__}.{cls.__name__} (first frame)", explorer.fig, explorer.dpi, width,
                       picture_edge=True)
    finally:
        explorer.close()
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


# ---- the checker itself catches what it should --------------------------------------------------------

def _figure():
    fig = Figure(figsize=(4, 3), dpi=100)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    return fig, ax


def test_checker_flags_small_text_low_contrast_clipping_and_overlap():
    fig, ax = _figure()
    ax.text(0.5, 0.5, "tiny", fontsize=6)
    ax.text(0.2, 0.8, "pale", color="#bbbbbb")
    ax.text(0.2, 0.6, "overlap A", fontsize=11)
    ax.text(0.25, 0.6, "overlap B", fontsize=11)
    ax.text(0.95, 0.3, "cut by the axes edge", fontsize=11, clip_on=True)
    found = problems(fig, 100, 400, picture_edge=False)
    assert any("'tiny' is 8.3 px" in p for p in found), found
    assert any("'pale' has contrast" in p for p in found), found
    assert any("overlap" in p and "overlap A" in p for p in found), found
    assert any("cut off by the axes" in p for p in found), found


def test_checker_flags_dark_numbers_on_dark_cells_and_accepts_the_heatmap_helper():
    from lessonkit.figures import heatmap

    fig, ax = _figure()
    ax.imshow([[0.0, 1.0]], cmap="Blues", vmin=0, vmax=1)
    ax.text(1, 0, "0.99", color="black", ha="center", va="center")
    assert any("'0.99' has contrast" in p for p in problems(fig, 100, 400, picture_edge=False))
    fig = Figure(figsize=(3, 3), dpi=100)
    ax = fig.subplots()
    heatmap(ax, np.array([[1.0, -1.0], [0.0, 0.5]]))
    assert not [p for p in problems(fig, 100, 300, picture_edge=False) if "contrast" in p]


def test_checker_flags_a_line_through_a_frameless_legend_and_text_cut_by_the_picture_edge():
    fig, ax = _figure()
    ax.legend(loc="center", frameon=False)
    fig.text(0.98, 0.5, "cut by the edge of the picture")
    found = problems(fig, 100, 400, picture_edge=True)
    assert any("runs through the legend" in p for p in found), found
    assert any("cut off by the picture edge" in p for p in found), found


def test_checker_passes_a_clean_figure():
    fig, ax = _figure()
    ax.set_title("a title")
    ax.set_xlabel("x")
    ax.legend(loc="upper left", frameon=False)
    assert problems(fig, 100, 400, picture_edge=True) == []
