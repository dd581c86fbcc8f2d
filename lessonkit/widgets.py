"""The base of every instructor widget: one persistent figure, updated in place, shown as a PNG.

Why not ``ipywidgets.interact``? It builds a new figure on every slider move (~100 ms here).
An :class:`Explorer` builds its figure once, changes only the artists' data, renders to PNG and
hands the bytes to an ``ipywidgets.Image`` (~15 ms). Every callback runs inside a guard: an
exception is written to the explorer's visible ``Output`` (and kept in ``last_error``), never lost.

A lesson's explorer subclasses :class:`Explorer` and implements

    make_controls() -> dict[name, widget]   the sliders, dropdowns ... (their ``.value`` drive it)
    draw(fig)                             create axes and artists once; call ``self.animate(...)``
                                          with the artists that ``update`` changes
    update(**values) -> str | None        change artists for the current values; return a note
                                          (e.g. "diverged at step 12") or None
    body() -> widget                      optional: what sits under the controls (default: the image)

Rendering is fast by construction: the figure is laid out once (constrained layout runs a single
time, then the axes stay put), everything that is not animated is rasterised once into a
background bitmap, and each frame pastes that bitmap, draws only the animated artists and encodes
the PNG with light compression. ``update`` calls ``self.redraw_background()`` when it changes
something static (axis limits, titles, ticks).

Tests and benchmarks drive an explorer headless by setting ``explorer.controls[name].value``.
"""

from __future__ import annotations

import html
import time
import traceback
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lessonkit.figures import canvas_png


class Explorer:
    width: float = 7.0
    height: float = 4.0
    dpi: int = 80

    def __init__(self) -> None:
        self.fig = Figure(figsize=(self.width, self.height), dpi=self.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.note = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(max_height="12em", overflow="auto"))
        self.last_error: BaseException | None = None
        self.renders = 0
        self.last_render_seconds = 0.0
        self._animated: list = []
        self._background = None
        self.controls: dict[str, widgets.Widget] = self.make_controls()
        drawn, _ = self._guard(self.draw, self.fig)
        if drawn:
            self._freeze_layout()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        self.widget = widgets.VBox(
            [widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
             self.body(), self.note, self.output],
            layout=widgets.Layout(max_width="100%"),
        )
        self.widget.add_class("lessonkit-explorer")  # how browser tests find an explorer on the page

    # ---- to implement in a lesson -------------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        raise NotImplementedError

    def draw(self, fig: Figure) -> None:
        raise NotImplementedError

    def update(self, **values: Any) -> str | None:
        raise NotImplementedError

    def body(self) -> widgets.Widget:
        """What sits between the controls and the note; override to add a read-out beside the image."""
        return self.image

    # ---- helpers for lessons ------------------------------------------------------------------
    def animate(self, *artists) -> None:
        """Mark the artists that ``update`` changes: only they are redrawn on each frame."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        self._animated.sort(key=lambda artist: artist.get_zorder())
        self._background = None

    def redraw_background(self) -> None:
        """Call from ``update`` after changing a static part (limits, ticks, titles)."""
        self._background = None

    # ---- machinery ----------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute for the current control values and publish a new picture."""
        started = time.perf_counter()
        ok, note = self._guard(self.update, **self.values)
        if ok:
            ok, png = self._guard(self.render_png)
        if ok:
            self.note.value = f'<span style="color:#8a5300">\u26a0 {html.escape(note)}</span>' if note else ""
            self.image.value = png
            self.renders += 1
        self.last_render_seconds = time.perf_counter() - started

    def render_png(self) -> bytes:
        """The current frame: static background (rendered once) + animated artists, as PNG bytes."""
        if not self._animated:
            self.canvas.draw()
            return canvas_png(self.canvas)
        if self._background is None:
            self.canvas.draw()  # animated artists are skipped by a full draw
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            if artist.get_visible():
                artist.draw(renderer)
        return canvas_png(self.canvas)

    def _freeze_layout(self) -> None:
        """Run the figure's layout engine once, then keep every axes where it is."""
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")

    def _on_change(self, change: dict) -> None:
        self.refresh()

    def _guard(self, fn, *args, **kwargs) -> tuple[bool, Any]:
        """Run ``fn``; on an exception show it in the Output and the note instead of losing it."""
        try:
            return True, fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 -- shown to the user, not swallowed
            self.last_error = error
            text = "".join(traceback.format_exception(error))
            self.output.append_stderr(text)
            self.note.value = (f'<span style="color:#a50e0e">\u2718 {html.escape(type(error).__name__)}: '
                               f"{html.escape(str(error))} (details below)</span>")
            return False, None

    def close(self) -> None:
        """Free the widgets and the figure (the figure was never registered with pyplot)."""
        for control in self.controls.values():
            control.unobserve(self._on_change, names="value")
        for child in [*self.controls.values(), self.image, self.note, self.output, self.widget]:
            child.close()
        self.fig.clear()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def progress_bar(total: int, description: str = "Precomputing") -> widgets.IntProgress:
    """A progress bar for one-time precomputation that takes longer than a second."""
    return widgets.IntProgress(value=0, min=0, max=total, description=description,
                               style={"description_width": "initial"})


def sweep_values(control: widgets.Widget, count: int = 24) -> list:
    """Values spanning a control's whole range, min and max included, each differing from the one
    before -- how tests and benchmarks drive an explorer headless."""
    import numpy as np

    if hasattr(control, "_options_values"):  # Dropdown, ToggleButtons, SelectionSlider, SelectMultiple
        values = list(control._options_values)
        if isinstance(control, widgets.SelectMultiple):  # each option alone, then all of them
            values = [(v,) for v in values] + [tuple(values)]
        return [values[i % len(values)] for i in range(max(count, len(values)))]
    if isinstance(control.value, bool):
        return [i % 2 == 0 for i in range(count)]
    if isinstance(control, widgets.FloatLogSlider):
        return [float(control.base ** e) for e in _zigzag(np.linspace(control.min, control.max, count))]
    if isinstance(control.value, tuple):  # range sliders: slide a window from one end to the other
        cast = int if isinstance(control, widgets.IntRangeSlider) else float
        width = (control.max - control.min) / 4
        starts = np.linspace(control.min, control.max - width, count)
        return [(cast(s), cast(s + width)) for s in _zigzag(starts)]
    cast = int if isinstance(control.value, int) else float
    return [cast(v) for v in _zigzag(np.linspace(control.min, control.max, count))]


def _zigzag(points) -> list:
    """First, last, second, second-to-last, ...: the extremes first, and no value twice."""
    points = list(dict.fromkeys(points))
    order = []
    while points:
        order.append(points.pop(0))
        if points:
            order.append(points.pop())
    return order
