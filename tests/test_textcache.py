"""The explorers' text-caching canvas draws exactly what matplotlib's own Agg canvas draws."""

from __future__ import annotations

import random

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lessonkit.figures import STYLE, cjk_family
from lessonkit.textcache import TextCachingCanvas

# digits and signs (tick labels), words, primes and subscripts, kerning pairs, CJK, mathtext
WORDS = ["0.25", "\u22121.5", "1e-07", "sigmoid", "f\u2032(z)", "z\u2080", "\u03c3(z)", "AV Wa To",
         "Himmelblau", "\u68af\u5ea6\u4e0b\u964d", "\u635f\u5931 loss", "$x^2 + \\sqrt{y}$", "$\\nabla f$", "0"]


def scene(canvas_class, seed: int):
    """A figure with axes, ticks and a dozen random texts: sizes, weights, angles, colours, positions,
    antialiasing on and off."""
    pick = random.Random(seed)
    fig = Figure(figsize=(4, 3), dpi=160)
    canvas = canvas_class(fig)
    ax = fig.add_subplot()
    ax.set_xlim(pick.uniform(-5, 0), pick.uniform(1, 7))
    ax.set_title(pick.choice(WORDS))
    for _ in range(12):
        fig.text(pick.random(), pick.random(), pick.choice(WORDS), fontsize=pick.choice([8, 10, 11, 12.5, 14]),
                 rotation=pick.choice([0, 0, 90, 30, -45]), color=pick.choice(["k", "C0", "C3"]),
                 weight=pick.choice(["normal", "bold"]), antialiased=pick.choice([True, True, False]))
    return fig, canvas


# CJK words in the English font are drawn as boxes, by both renderers alike
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_is_drawn_pixel_for_pixel_as_matplotlib_draws_it(lang):
    family = ["DejaVu Sans", cjk_family()] if lang == "zh" else ["DejaVu Sans"]
    with matplotlib.rc_context({**STYLE, "font.family": family}):
        caching_fig, caching = scene(TextCachingCanvas, 0)
        for seed in range(16):
            reference_fig, reference = scene(FigureCanvasAgg, seed)
            # one caching canvas for all scenes: later scenes hit glyphs and strings cached by earlier ones
            caching_fig.clear()
            for text in reference_fig.texts:
                caching_fig.text(*text.get_position(), text.get_text(), fontproperties=text.get_fontproperties(),
                                 rotation=text.get_rotation(), color=text.get_color(),
                                 antialiased=text.get_antialiased())
            ax = caching_fig.add_subplot()
            ax.set_xlim(reference_fig.axes[0].get_xlim())
            ax.set_title(reference_fig.axes[0].get_title())
            for _ in range(2):  # cold, then warm (matplotlib's second draw of a figure may differ from its first)
                reference.draw()
                caching.draw()
                expected = np.asarray(reference.buffer_rgba())
                got = np.asarray(caching.buffer_rgba())
                assert np.array_equal(expected, got), f"seed {seed}: {(expected != got).any(-1).sum()} pixels differ"
        assert caching.renderer._glyphs and caching.renderer._layouts  # the cache was really used


def test_the_caches_stay_bounded(monkeypatch):
    from lessonkit import textcache

    monkeypatch.setattr(textcache, "LIMIT", 50)
    fig = Figure(figsize=(3, 2), dpi=100)
    canvas = TextCachingCanvas(fig)
    for i in range(200):
        fig.texts.clear()
        fig.text(0.1 + i / 1000, 0.5, f"{i * 1.37:.3f}")
        canvas.draw()
    assert 0 < len(canvas.renderer._layouts) <= 50 and 0 < len(canvas.renderer._glyphs) <= 50
