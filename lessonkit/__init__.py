"""lessonkit: the pictures, checks and instructor widgets behind the gradient-descent course.

Core (small, shared by every lesson):
    session   -- ``setup()``: seeds, thread count, figure style (one call at the top of a notebook)
    checks    -- exercise checks: Correct / Incorrect / Not attempted, mistake fingerprints, hints
    figures   -- figure creation, the course style, shared plotting helpers
    widgets   -- ``Explorer``: the base of every instructor widget (one figure, updated in place)

One module per lesson, named after its notebook (``notebooks/07_tolist_item.ipynb`` uses
``lessonkit.tolist_item``): that lesson's plots, explorers and exercises.
"""

from lessonkit.session import setup

__all__ = ["setup"]
__version__ = "0.1.0"
