"""The base of every instructor widget: one persistent figure, updated in place, shown as a PNG.

Why not ``ipywidgets.interact``? It builds a new figure on every slider move (~100 ms here).
An :class:`Explorer` builds its figure once, changes only the artists' data, renders to PNG and
hands the bytes to an ``ipywidgets.Image`` (~15 ms). Every callback runs inside a guard: an
exception is written to the explorer's visible ``Output`` (and kept in ``last_error``), never lost.

A lesson's explorer subclasses :class:`Explorer` and implements

    make_controls() -> dict[name, widget]   the sliders, dropdowns ... (their ``.value`` drive it)
    draw(fig)                             create axes and artists once
    update(**values) -> str | None        change artists for the current values; return a note
                                          (e.g. "diverged at step 12") or None

Tests and benchmarks drive an explorer headless by setting ``explorer.controls[name].value``.
"""

from __future__ import annotations

import html
import time
import traceback
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from lessonkit.figures import to_png


class Explorer:
    width: float = 7.0
    height: float = 4.0
    dpi: int = 80

    def __init__(self) -> None:
        self.fig = Figure(figsize=(self.width, self.height), dpi=self.dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.note = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(max_height="12em", overflow="auto"))
        self.last_error: BaseException | None = None
        self.renders = 0
        self.last_render_seconds = 0.0
        self.controls: dict[str, widgets.Widget] = self.make_controls()
        self._guard(self.draw, self.fig)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        self.widget = widgets.VBox(
            [widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
             self.image, self.note, self.output],
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

    # ---- machinery ----------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute for the current control values and publish a new picture."""
        started = time.perf_counter()
        ok, note = self._guard(self.update, **self.values)
        if ok:
            self.note.value = f'<span style="color:#8a5300">\u26a0 {html.escape(note)}</span>' if note else ""
            png = to_png(self.fig)
            self.image.value = png
            self.renders += 1
        self.last_render_seconds = time.perf_counter() - started

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
