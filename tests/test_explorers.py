"""Every explorer of the course, every control, driven headless over its whole range (min, max and a
spread in between, which includes the settings that overflow or diverge): no exception escapes or
vanishes, and the picture follows the controls. Lesson tests check each explorer's notes in detail."""

from __future__ import annotations

import pytest

from lessonkit.widgets import sweep_values
from tests.helpers import encoding_error, is_picture, lesson_explorers, mismatch_with_full_redraw

FOUND = lesson_explorers()
EXPLORERS = list(FOUND.values())


def test_every_lesson_with_an_explorer_is_found():
    lessons = {key.split(".")[0] for key in FOUND}
    assert {"activations", "autograd_grad", "backward_retain_graph", "softmax_jacobian", "losses",
            "adam_himmelblau"} <= lessons


@pytest.fixture(scope="module", params=EXPLORERS, ids=[cls.__name__ for cls in EXPLORERS])
def explorer(request):
    instance = request.param()
    yield instance
    instance.close()


def test_every_control_over_its_full_range(explorer):
    assert explorer.last_error is None, explorer.last_error
    total_moves = total_changed = 0
    for name, control in explorer.controls.items():
        default = control.value
        changed = 0
        for value in sweep_values(control, 12):
            before = (bytes(explorer.image.value), explorer.note.value)
            control.value = value
            assert explorer.last_error is None, f"{name}={value!r}: {explorer.last_error!r}"
            assert is_picture(explorer.image.value)
            total_moves += 1
            changed += (bytes(explorer.image.value), explorer.note.value) != before
        # the fast path (blitting, cached text) draws what matplotlib's own renderer draws, at the end
        # of each sweep (an extreme of the control)
        assert mismatch_with_full_redraw(explorer) < 0.001, name  # antialiasing may differ on a few pixels
        # a control may legitimately do nothing visible in some states, but never in all of them
        assert changed > 0, f"{name}: moving it over its whole range changed neither picture nor note"
        total_changed += changed
        control.value = default
    assert total_changed >= total_moves // 2
    assert explorer.output.outputs == ()  # nothing was written to the error area


def test_every_explorer_is_sharp_at_device_pixel_ratio_2(explorer):
    """At least one image pixel per device pixel at devicePixelRatio 2 at the width it is shown, and
    the sent picture is the drawn frame up to invisible JPEG error."""
    shown_width, _ = explorer.css_size
    sent_width = explorer.canvas.get_width_height(physical=True)[0]
    assert explorer.image.layout.width == f"{shown_width}px"
    assert sent_width / shown_width >= 2, (sent_width, shown_width)
    visibly_off, mean_error = encoding_error(explorer)
    assert visibly_off < 0.01 and mean_error < 1.0, (visibly_off, mean_error)
