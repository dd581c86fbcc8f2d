"""Lesson 6 -- optimising the Himmelblau function with Adam: the entry point of
notebooks/06_adam_himmelblau.ipynb (``from lessonkit import adam_himmelblau as lesson``).

The lesson's code is split by concern; everything the notebook, the tests and the benchmarks use is
re-exported here:

    himmelblau_dynamics    the function, its minima (Newton, float64), ``torch.optim`` runs: the reference
                           loop, the pre-2019 Adam that printed the reference's numbers, batched starts,
                           basins maps
    himmelblau_pictures    plot_himmelblau (surface + contours), plot_paths, plot_basins, plot_schedules,
                           plot_weight_decay
    himmelblau_explorer    HimmelblauExplorer and its cache: every setting run once with torch.optim
    himmelblau_exercises   fit_line (a training loop with two parameters), predict_minimum (predict)
"""

from __future__ import annotations

from lessonkit.himmelblau_dynamics import (  # noqa: F401 -- re-exported for the notebook
    LIMIT,
    LOCAL_MAXIMUM,
    MINIMA,
    MINIMA_F64,
    MINIMUM_NAMES,
    OPTIMIZER_NAMES,
    basins_map,
    himmelblau,
    make_optimizer,
    minimum_names,
    nearest_minimum,
    newton_minima,
    optimise_batch,
    run_old_adam,
    run_reference_loop,
    start_grid,
)
from lessonkit.himmelblau_exercises import (  # noqa: F401 -- re-exported for the notebook
    GD_MAP_SETTINGS,
    PREDICTION_SETTINGS,
    PREDICTION_STARTS,
    fit_line,
    least_squares_line,
    predict_minimum,
)
from lessonkit.himmelblau_explorer import (  # noqa: F401 -- re-exported for the notebook
    DIVERGED,
    EXPLORER_LRS,
    EXPLORER_STARTS,
    EXPLORER_STEPS,
    FRAME_STEPS,
    ExplorerCache,
    HimmelblauExplorer,
    explorer_starts,
    precompute_explorer,
    run_settings,
)
from lessonkit.himmelblau_pictures import (  # noqa: F401 -- re-exported for the notebook
    BASIN_COLORS,
    OPTIMIZER_COLORS,
    draw_landscape,
    plot_basins,
    plot_himmelblau,
    plot_paths,
    plot_schedules,
    plot_weight_decay,
)
