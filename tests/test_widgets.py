"""The explorer base: driven headless by setting .value, as the notebooks' widgets are in tests."""

import ipywidgets as widgets
import numpy as np
import pytest

from lessonkit.widgets import Explorer
from tests.helpers import encoding_error, frame_pixels, is_picture, mismatch_with_full_redraw, pixels


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


def test_setting_value_publishes_a_new_picture():
    explorer = LineExplorer()
    first = bytes(explorer.image.value)
    assert is_picture(first)
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


def test_display_bundle_is_the_widget_with_a_still_and_a_note_for_readers_without_a_kernel():
    explorer = LineExplorer()
    data, metadata = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    still = data["image/png"]
    assert still.startswith(b"\x89PNG")
    assert np.array_equal(pixels(still), frame_pixels(explorer))  # the still is lossless: the frame itself
    assert "JupyterLab" in data["text/markdown"] and "JupyterLab" in data["text/plain"]
    assert metadata["image/png"] == {"width": 560, "height": 320}  # 7 x 4 in at 80 CSS px per inch
    assert explorer._repr_mimebundle_()[0]["image/png"] == still  # deterministic: no churn in git


def test_picture_has_two_image_pixels_per_css_pixel():
    explorer = LineExplorer()
    sent = pixels(explorer.image.value)
    assert sent.shape[:2] == (2 * 320, 2 * 560)
    assert explorer.image.layout.width == "560px"
    assert explorer.image.layout.max_width == "100%"  # narrower output area: shrinks, stays sharp


@pytest.mark.parametrize("frequency", [0.0, 3.0, 9.5])
def test_lossy_frames_stay_close_to_the_drawn_frame(frequency):
    explorer = LineExplorer()
    explorer.controls["frequency"].value = frequency
    visibly_off, mean_error = encoding_error(explorer)
    assert visibly_off < 0.005 and mean_error < 0.5, (visibly_off, mean_error)


def test_lossless_format_is_available():
    explorer = type("PngLine", (LineExplorer,), {"image_format": "png"})()
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.image.format == "png"
    assert encoding_error(explorer) == (0.0, 0.0)


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


class KeyedExplorer(LineExplorer):
    """The y-limits depend on one choice only ("scale"): its background is kept per scale."""

    def make_controls(self):
        return {**super().make_controls(), "scale": widgets.Dropdown(options=[1.0, 2.0, 4.0], value=1.0)}

    def draw(self, fig):
        super().draw(fig)
        self.animate(self.line)

    def update(self, frequency, fail, scale):
        note = super().update(frequency, fail)
        self.line.set_ydata(scale * np.sin(2 * np.pi * frequency * self.x))
        self.ax.set_ylim(-1.1 * scale, 1.1 * scale)
        self.redraw_background(key=scale)
        return note


def test_a_keyed_background_is_drawn_once_per_key_and_pasted_when_it_comes_back(monkeypatch):
    explorer = KeyedExplorer()
    full_draws = []
    draw = explorer.canvas.draw
    monkeypatch.setattr(explorer.canvas, "draw", lambda: (full_draws.append(1), draw())[1])
    for scale in [2.0, 4.0, 1.0, 2.0, 4.0, 1.0]:
        for frequency in (1.0, 2.0):
            explorer.controls["scale"].value = scale
            explorer.controls["frequency"].value = frequency
            assert mismatch_with_full_redraw(explorer) < 0.001, (scale, frequency)
    assert len(full_draws) == 2  # 2.0 and 4.0 (1.0 was drawn before); after that, every background is pasted
    forgetful = KeyedExplorer()
    forgetful.BACKGROUNDS_KEPT = 1  # keep one: coming back to another key draws it again
    draw_forgetful = forgetful.canvas.draw
    monkeypatch.setattr(forgetful.canvas, "draw", lambda: (full_draws.append(1), draw_forgetful())[1])
    for scale in [2.0, 4.0, 2.0]:
        forgetful.controls["scale"].value = scale
    assert len(full_draws) == 5 and len(forgetful._backgrounds) == 1


def test_layout_runs_once_and_then_stays_fixed():
    explorer = LineExplorer()
    position = explorer.ax.get_position().bounds
    explorer.controls["frequency"].value = 9.0
    assert explorer.ax.get_position().bounds == position
    assert type(explorer.fig.get_layout_engine()).__name__ in ("PlaceHolderLayoutEngine", "NoneType")


def _regenerate_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "regenerate.py"
    spec = importlib.util.spec_from_file_location("regenerate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerate_stores_the_still_and_the_note_but_not_the_widget():
    import base64

    import nbformat

    explorer = LineExplorer()
    data, metadata = explorer._repr_mimebundle_()
    encoded = {**data, "image/png": base64.b64encode(data["image/png"]).decode()}  # as the kernel sends it
    live = nbformat.v4.new_output("display_data", data=encoded, metadata=metadata)
    progress = nbformat.v4.new_output("display_data", data={"text/plain": "IntProgress(...)",
                                                            "application/vnd.jupyter.widget-view+json": {}})
    stored = _regenerate_module().still_outputs([progress, live])
    assert [sorted(out["data"]) for out in stored] == [["image/png"], ["text/markdown", "text/plain"]]
    assert stored[0]["metadata"] == {"image/png": {"width": 560, "height": 320}}
    assert np.array_equal(pixels(base64.b64decode(stored[0]["data"]["image/png"])), frame_pixels(explorer))
    cell = nbformat.v4.new_code_cell("x", outputs=stored)
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
