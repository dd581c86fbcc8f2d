"""lessonkit: the pictures, checks and instructor widgets behind the gradient-descent course.

Core (small, shared by every lesson):
    session   -- ``setup()``: seeds, thread count, figure style (one call at the top of a notebook)
    checks    -- exercise checks: Correct / Incorrect / Not attempted, mistake fingerprints, hints
    figures   -- figure creation, the course style, shared plotting helpers
    widgets   -- ``Explorer``: the base of every instructor widget (one figure, updated in place)

Also core: ``observe`` (what learner code calls) and ``diagnosis`` (general relations between a wrong
answer and the expected one), both used by ``checks``.

One entry module per lesson, named after its notebook (``notebooks/07_tolist_item.ipynb`` uses
``lessonkit.tolist_item``): that lesson's plots, explorers and exercises. A lesson that grew large is split
by concern into ``<lesson>_exercises``, ``<lesson>_pictures``, ... which its entry module re-exports.
"""

import importlib

from lessonkit.session import setup

# The lessons in course order; notebooks/0N_<name>.ipynb uses lessonkit.<name>.
LESSONS = ("activations", "autograd_grad", "backward_retain_graph", "softmax_jacobian", "losses",
           "adam_himmelblau", "tolist_item")


def lesson_modules() -> list:
    """The seven lesson modules, imported, in course order."""
    return [importlib.import_module(f"lessonkit.{name}") for name in LESSONS]


def explorer_classes() -> list[type]:
    """Every instructor widget of the course (the Explorer subclasses the lessons define)."""
    from lessonkit.widgets import Explorer

    found = []
    for module in lesson_modules():  # a lesson may define its explorer in a module split out of it
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Explorer) and value is not Explorer
                    and value.__module__.startswith("lessonkit.") and value not in found):
                found.append(value)
    return found


__all__ = ["LESSONS", "explorer_classes", "lesson_modules", "setup"]
__version__ = "0.1.0"
