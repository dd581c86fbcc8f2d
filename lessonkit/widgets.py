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
the picture. ``update`` calls ``self.redraw_background()`` when it changes something static (axis
limits, titles, ticks). Text, the slowest thing matplotlib draws (about 1 ms per label at 2x), is drawn
by a canvas that caches shaped strings and rasterised glyphs (:mod:`lessonkit.textcache`): the same
pixels, so a redraw with twenty tick labels costs a few milliseconds instead of twenty.

Crisp on HiDPI screens: the picture is shown ``width * dpi`` by ``height * dpi`` CSS pixels (``dpi``
is CSS pixels per figure inch; text of s points is ``s * dpi / 72`` CSS pixels tall) and rendered
with ``pixel_ratio`` (2) image pixels per CSS pixel: one image pixel per device pixel on a
devicePixelRatio-2 screen, downsampled (still sharp) at devicePixelRatio 1. Frames are sent as
JPEG quality 95 4:4:4 (``image_format``): at 2x, lossless PNG costs 10-25 ms per frame, JPEG 3-4 ms
(measurements in the README). Measured and not taken (2026-12-01, same-run A/B in JupyterLab +
Chromium): JPEG quality 90 or 4:2:0 (20-35 % fewer bytes, 1-3 ms less to encode, no measurable gain
from key press to screen; 4:2:0 errs by up to 70-120/255 along thin coloured lines) and ``data:`` URLs
instead of ipywidgets' blob URLs (no faster to load, 33 % more bytes). Per key press the 2x JPEG
costs the kernel, the server and Chromium together no measurably more CPU than the old 1x PNG (within
+-10 %); the wait is the lesson's ``update`` + drawing and the hops kernel -> server -> browser.

Readable without a kernel: the display bundle carries, besides the widget, a PNG of the current
(first) frame and a one-line note. JupyterLab with a live kernel renders the widget;
``tools/regenerate.py`` stores the picture and the note (not the widget), which GitHub, nbviewer and
a notebook opened before *Run All* show.

Tests and benchmarks drive an explorer headless by setting ``explorer.controls[name].value``.
"""

from __future__ import annotations

import contextlib
import html
import io
import time
import traceback
from typing import Any

import ipywidgets as widgets
import PIL.Image
from matplotlib.figure import Figure

from lessonkit.figures import canvas_png
from lessonkit.i18n import N_, _
from lessonkit.textcache import TextCachingCanvas

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# shown in the language of the setup call (translated where it is shown: _(STATIC_NOTE))
STATIC_NOTE = N_("*A still picture of this explorer's first frame: run the notebook in JupyterLab "
                 "(Run All) to use it live.*")


class Explorer:
    width: float = 7.0  # figure size in inches
    height: float = 4.0
    dpi: float = 80  # CSS pixels per figure inch: how large the picture is shown
    pixel_ratio: int = 2  # image pixels per CSS pixel (2: one per device pixel at devicePixelRatio 2)
    image_format: str = "jpeg"  # "jpeg" (fast, quality 95, 4:4:4) or "png" (lossless, 3-6x slower at 2x)
    BACKGROUNDS_KEPT = 8  # backgrounds kept by key (redraw_background(key=...)); ~5 MB each at 2x

    def __init__(self) -> None:
        self.fig = Figure(figsize=(self.width, self.height), dpi=self.dpi * self.pixel_ratio)
        self.canvas = TextCachingCanvas(self.fig)  # same pixels as FigureCanvasAgg; text drawn once, then pasted
        css_width, _ = self.css_size
        # Shown at its CSS size, never stretched; on a narrower output or a short screen it shrinks
        # (keeping its aspect ratio: object-fit) so picture and controls stay on one screen.
        self.image = widgets.Image(format=self.image_format,
                                   layout=widgets.Layout(width=f"{css_width}px", max_width="100%", height="auto",
                                                         max_height="calc(100vh - 200px)", object_fit="contain"))
        self.note = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(max_height="12em", overflow="auto"))
        self.last_error: BaseException | None = None
        self.renders = 0
        self.last_render_seconds = 0.0
        self.last_render_cpu_seconds = 0.0  # CPU time of the same: what the kernel spends, whatever the load
        self._animated: list = []
        self._background = None
        self._background_key = None
        self._backgrounds: dict = {}  # key -> background (redraw_background(key=...))
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
        self._backgrounds.clear()

    def redraw_background(self, key=None) -> None:
        """Call from ``update`` after changing a static part (limits, ticks, titles).

        ``key``: optional, a hashable value that determines the static part entirely (e.g. the name of
        the function shown, when only it sets the limits). The background drawn for a key is kept (the
        last ``BACKGROUNDS_KEPT`` keys) and pasted again when the key comes back, instead of redrawn."""
        self._background_key = key
        self._background = None if key is None else self._backgrounds.get(key)

    # ---- machinery ----------------------------------------------------------------------------
    @property
    def css_size(self) -> tuple[int, int]:
        """The picture's size on the page in CSS pixels (width, height)."""
        width, height = self.canvas.get_width_height(physical=True)
        return round(width / self.pixel_ratio), round(height / self.pixel_ratio)

    def encode(self) -> bytes:
        """The canvas's current content in ``image_format``."""
        if self.image_format == "png":
            return canvas_png(self.canvas)
        # JPEG quality 95 4:4:4, read straight from Agg's RGBA buffer as RGBX (the same bytes as
        # figures.canvas_jpeg, without its 1-2 ms copy to RGB)
        width, height = self.canvas.get_width_height(physical=True)
        pixels = PIL.Image.frombuffer("RGBX", (width, height), self.canvas.buffer_rgba(), "raw", "RGBX", 0, 1)
        buffer = io.BytesIO()
        pixels.save(buffer, format="jpeg", quality=95, subsampling=0)
        return buffer.getvalue()

    def static_png(self) -> bytes:
        """The current frame as a compact lossless PNG (what a notebook stores for readers without a kernel)."""
        return canvas_png(self.canvas, compress_level=6)  # level 9: 3x the time for 3 % less

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute for the current control values and publish a new picture.

        The picture is sent first: what ``update`` changes in the explorer's other widgets (a lesson's
        read-out, the note) is held and sent right after it, so the browser gets and paints the
        picture without first handling those messages."""
        started, started_cpu = time.perf_counter(), time.process_time()
        with contextlib.ExitStack() as held:
            for widget in self._widgets_besides_image():
                held.enter_context(widget.hold_sync())
            ok, note = self._guard(self.update, **self.values)
            if ok:
                ok, png = self._guard(self.render_png)
            if ok:
                self.image.value = png
                self.note.value = f'<span style="color:#8a5300">\u26a0 {html.escape(note)}</span>' if note else ""
                self.renders += 1
        self.last_render_seconds = time.perf_counter() - started
        self.last_render_cpu_seconds = time.process_time() - started_cpu

    def _widgets_besides_image(self) -> list[widgets.Widget]:
        """Every widget shown in the explorer but its picture (none before the explorer is built)."""
        found, todo = [], [getattr(self, "widget", None)]
        while todo:
            widget = todo.pop()
            if widget is None or widget is self.image or widget in found:
                continue
            found.append(widget)
            todo.extend(getattr(widget, "children", ()))
        return found

    def render_png(self) -> bytes:
        """The current frame: static background (rendered once) + animated artists, encoded
        (``image_format``; the name stays from when every frame was a PNG)."""
        if not self._animated:
            self.canvas.draw()
            return self.encode()
        if self._background is None:
            self.canvas.draw()  # animated artists are skipped by a full draw
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            if self._background_key is not None:
                self._backgrounds.pop(self._background_key, None)
                self._backgrounds[self._background_key] = self._background
                while len(self._backgrounds) > self.BACKGROUNDS_KEPT:  # forget the oldest
                    del self._backgrounds[next(iter(self._backgrounds))]
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            if artist.get_visible():
                artist.draw(renderer)
        return self.encode()

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
            message = _("{error_type}: {message} (details below)").format(
                error_type=html.escape(type(error).__name__), message=html.escape(str(error)))
            self.note.value = f'<span style="color:#a50e0e">\u2718 {message}</span>'
            return False, None

    def close(self) -> None:
        """Free the widgets and the figure (the figure was never registered with pyplot)."""
        for control in self.controls.values():
            control.unobserve(self._on_change, names="value")
        for child in [*self.controls.values(), self.image, self.note, self.output, self.widget]:
            child.close()
        self.fig.clear()

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, plus a still PNG of the current frame and a note for readers without a kernel.

        A front end shows one representation of a bundle: JupyterLab's widget renderer ranks first, so a
        live kernel shows only the widget. The still and the note are split into two outputs by
        ``tools/regenerate.py`` (which drops the widget): one bundle with both would show only the note.
        """
        data = self.widget._repr_mimebundle_(**kwargs)
        width, height = self.css_size
        note = _(STATIC_NOTE)
        data = {**data, "image/png": self.static_png(), "text/markdown": note, "text/plain": note.strip("*")}
        return data, {"image/png": {"width": width, "height": height}}


def progress_bar(total: int, description: str | None = None) -> widgets.IntProgress:
    """A progress bar for one-time precomputation that takes longer than a second (``description``:
    already translated; by default "Precomputing" in the course's language)."""
    if description is None:
        description = _("Precomputing")
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
