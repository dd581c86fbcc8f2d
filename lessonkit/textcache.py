"""An Agg canvas that remembers text it has drawn: same pixels, a fraction of the time.

Why: in an explorer frame, text is what matplotlib spends its time on. Each label costs about 1 ms at
2x resolution (measured with matplotlib 3.11: shaping the string, then rasterising every glyph with
FreeType at its sub-pixel position), so an axis redraw with 20 tick labels costs 20 ms, two thirds of
a frame, while the lines and markers cost 5 ms. Tick labels, annotation numbers and titles repeat the
same few strings and glyphs from frame to frame.

What is cached (per canvas, bounded):
  * the shaped string: glyphs and their offsets, keyed on the string, the resolved font files, size,
    dpi, hinting, features and language -- everything matplotlib's own layout reads;
  * each rasterised glyph, keyed on font, size, dpi, glyph, rotation and the position's fraction of a
    pixel (FreeType positions glyphs in 1/64 px): a glyph moved by whole pixels is the same bitmap moved
    by whole pixels, so the whole-pixel part of the position is applied when it is pasted.

The result is pixel-identical to matplotlib's renderer (``tests/test_widgets.py`` compares the two
buffers for random strings, sizes, angles and positions); anything unusual (mathtext, TeX, boxes) goes
through matplotlib's own code unchanged.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager
from matplotlib.ft2font import RenderMode

LIMIT = 20_000  # entries per cache (a glyph bitmap at 2x is ~1 KB): forget everything beyond it


class TextCachingRenderer(RendererAgg):
    def __init__(self, width, height, dpi):
        super().__init__(width, height, dpi)
        self._layouts: dict = {}
        self._glyphs: dict = {}

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        key = (s, tuple(fontManager._find_fonts_by_props(prop)), size, self.dpi, flags,
               None if features is None else tuple(features), language)
        glyphs = self._layouts.get(key)
        if glyphs is None:
            font = self._prepare_font(prop)
            items = font._layout(s, flags=flags, features=features, language=language)
            glyphs = [(item.ft_object, size, item.glyph_index, 0, 1, item.x, item.y) for item in items]
            _remember(self._layouts, key, glyphs)
        self._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, [])

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        if boxes:  # mathtext rules, TeX boxes: matplotlib's own code
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]]
                      ).round().astype(int)
            # FreeType's y is upwards; positions in 1/64 px, split into whole pixels and a fraction
            ox = round(0x40 * (x + dx * cos - dy * sin))
            oy = round(0x40 * (self.height - y + dx * sin + dy * cos))
            key = (font, size, self.dpi, glyph_index, matrix.tobytes(), ox & 0x3F, oy & 0x3F, flags, antialiased)
            cached = self._glyphs.get(key)
            if cached is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [ox & 0x3F, oy & 0x3F])
                bitmap = font._render_glyph(glyph_index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
                buffer = bitmap.buffer
                if not antialiased:
                    buffer *= 0xFF
                cached = (np.ascontiguousarray(buffer), bitmap.left, bitmap.top)
                _remember(self._glyphs, key, cached)
            buffer, left, top = cached
            # draw_text_image's y is downwards and names the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (ox >> 6),
                                           int(self.height) - (top + (oy >> 6)) + buffer.shape[0], 0, gc)


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= LIMIT:
        cache.clear()
    cache[key] = value


class TextCachingCanvas(FigureCanvasAgg):
    """A FigureCanvasAgg whose renderer caches text (see the module docstring)."""

    def get_renderer(self):
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = TextCachingRenderer(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer
