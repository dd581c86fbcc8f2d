"""The explorer base: driven headless by setting .value, as the notebooks' widgets are in tests."""

import ipywidgets as widgets
import numpy as np
import pytest

from lessonkit.widgets import Explorer
from tests.helpers import mismatch_with_full_redraw


class LineExplorer(Explorer):
    """A minimal explorer: a sine wave whose frequency a slider sets."""

    def make_controls(self):
        return {"frequency": widgets.FloatSlider(value=1.0, min=0.0, max=10.0),
                "fail": widgets.Checkbox(value=False)}

    def draw(self, fig):
        self.ax = fig.subplots()
        self.x = np.linspace(0, 1, 200)
        (self.line,) = self.ax.plot(self.x, np.sin(self.x))
        self.ax.set_ylim(-1.1, 1.1)

    def update(self, frequency, fail):
        if fail:
            raise ValueError("a deliberate failure")
        self.line.set_ydata(np.sin(2 * np.pi * frequency * self.x))
        return "frequency is zero: a flat line" if frequency == 0 else None


def test_setting_value_publishes_a_new_png():
    explorer = LineExplorer()
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.controls["frequency"].value = 3.0
    assert bytes(explorer.image.value) != first
    assert explorer.renders == 2
    assert explorer.last_error is None


def test_update_note_is_shown_and_cleared():
    explorer = LineExplorer()
    explorer.controls["frequency"].value = 0.0
    assert "flat line" in explorer.note.value
    explorer.controls["frequency"].value = 2.0
    assert explorer.note.value == ""


def test_a_raising_callback_shows_its_error_and_keeps_the_last_picture():
    explorer = LineExplorer()
    before = explorer.image.value
    explorer.controls["fail"].value = True
    assert isinstance(explorer.last_error, ValueError)
    assert "a deliberate failure" in explorer.note.value
    shown = "".join(out.get("text", "") for out in explorer.output.outputs)
    assert "ValueError: a deliberate failure" in shown and "Traceback" in shown
    assert explorer.image.value == before  # the previous picture stays readable
    explorer.controls["fail"].value = False  # and the explorer recovers
    assert explorer.note.value == ""


def test_the_figure_is_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    explorer = LineExplorer()
    explorer.controls["frequency"].value = 4.0
    assert plt.get_fignums() == open_before
    explorer.close()


def test_display_bundle_is_the_widget():
    explorer = LineExplorer()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_explorer_survives_non_finite_data(bad):
    explorer = LineExplorer()
    explorer.line.set_ydata(np.full(200, bad))
    explorer.refresh()
    assert explorer.last_error is None


class BlittedExplorer(LineExplorer):
    """The same sine wave, but only the line is redrawn per frame."""

    def draw(self, fig):
        super().draw(fig)
        self.ax.set_title("static title")
        self.animate(self.line)

    def update(self, frequency, fail):
        note = super().update(frequency, fail)
        if frequency > 5:
            self.ax.set_ylim(-2, 2)
            self.redraw_background()
        return note


@pytest.mark.parametrize("frequency", [0.0, 3.0, 7.0])
def test_blitted_frames_equal_a_full_redraw(frequency):
    blitted = BlittedExplorer()
    blitted.controls["frequency"].value = frequency
    assert mismatch_with_full_redraw(blitted) < 0.001  # antialiasing may differ on a few pixels


def test_layout_runs_once_and_then_stays_fixed():
    explorer = LineExplorer()
    position = explorer.ax.get_position().bounds
    explorer.controls["frequency"].value = 9.0
    assert explorer.ax.get_position().bounds == position
    assert type(explorer.fig.get_layout_engine()).__name__ in ("PlaceHolderLayoutEngine", "NoneType")
