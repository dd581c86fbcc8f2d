"""Lesson 3's pictures and tables: the autograd graph with its saved tensors, ``.grad`` over a
sequence of calls, and what each way of turning autograd off does to a result.

Re-exported by :mod:`lessonkit.backward_retain_graph` (the lesson's entry point).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import torch

from lessonkit.figures import COLORS, PALETTE, ink, new_figure
from lessonkit.i18n import N_, _

# Words the lesson's notebook passes to these pictures (titles, tick labels, legend entries): the
# pictures show them through _(), so they are listed here for extraction into the lesson's catalog.
NOTEBOOK_TEXT = (
    N_("after the forward pass: y = x @ w"),
    N_("after y.backward()"),
    N_("s = (x + 1).sum() after two backward calls"),
    N_("two paths from y back to x"),
    N_("p = x * x: x is used twice"),
    N_("after batch 1"),
    N_("after batch 2"),
    N_("after batch 3"),
    N_("full-batch gradient"),
    N_("Accumulating mini-batch gradients reaches the full-batch gradient"),
)

# --------------------------------------------------------------------------------------------------
# The autograd graph and its saved tensors


@dataclass
class GraphNode:
    """One backward node as the picture shows it."""

    label: str
    saved: list[tuple[str, bool]] = field(default_factory=list)  # (name, still kept?)
    inputs: list[int] = field(default_factory=list)  # indices of the nodes it sends gradients to
    depth: int = 0


def saved_tensors(node) -> list[tuple[str, bool]]:
    """The tensors a backward node saved during the forward pass: ``(name, kept)``; ``kept`` is False
    once backward has freed them. Non-tensor saves (sizes, scalars) are never freed and not listed."""
    found = []
    for attribute in dir(node):
        if not attribute.startswith("_saved_"):
            continue
        name = attribute[len("_saved_"):]
        try:
            value = getattr(node, attribute)
        except RuntimeError:  # "... access saved tensors after they have already been freed"
            found.append((name, False))
            continue
        if isinstance(value, torch.Tensor):
            found.append((name, True))
    return found


def graph_nodes(output: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> list[GraphNode]:
    """Walk ``output.grad_fn`` and describe every node; leaves are named after ``names``."""
    if output.grad_fn is None:
        return []
    by_id = {id(t): name for name, t in (names or {}).items()}
    order, index, depth = [], {}, {}
    stack = [(output.grad_fn, 0)]
    while stack:  # longest distance from the output decides the column of a node
        node, d = stack.pop()
        if node in index and depth[node] >= d:
            continue
        if node not in index:
            index[node] = len(order)
            order.append(node)
        depth[node] = d
        stack.extend((child, d + 1) for child, _nr in reversed(node.next_functions) if child is not None)
    described = []
    for node in order:
        if hasattr(node, "variable"):
            leaf = by_id.get(id(node.variable)) or _("leaf")
            label = f"{leaf}.grad"
        else:
            label = type(node).__name__
        described.append(GraphNode(label, saved_tensors(node),
                                   [index[c] for c, _nr in node.next_functions if c is not None],
                                   depth[node]))
    return described


def _node_positions(nodes: list[GraphNode]) -> list[tuple[float, float]]:
    deepest = max(n.depth for n in nodes)
    columns: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        columns.setdefault(node.depth, []).append(i)
    positions = [(0.0, 0.0)] * len(nodes)
    for depth, members in columns.items():
        for row, i in enumerate(members):
            positions[i] = (float(deepest - depth), (len(members) - 1) / 2 - row)
    return positions


def _node_text(node: GraphNode) -> tuple[str, str]:
    """The box text and its colour: green while saved tensors are kept, red once freed."""
    if node.label.endswith(".grad"):
        return f"AccumulateGrad\n\u2192 {node.label}", COLORS["blue"]
    if not node.saved:
        return _("{node}\nsaves no tensors").format(node=node.label), COLORS["grey"]
    kept = all(k for _name, k in node.saved)
    names = ", ".join(n for n, _kept in node.saved)
    if kept:
        return _("{node}\nsaved: {names} (kept)").format(node=node.label, names=names), COLORS["green"]
    return _("{node}\nsaved: {names} (FREED)").format(node=node.label, names=names), COLORS["red"]


def plot_graph(output: torch.Tensor, names: dict[str, torch.Tensor] | None = None, title: str = ""):
    """The backward graph of ``output``, gradients flowing right to left, one box per node.

    Boxes say what each node saved during the forward pass and whether it is still there.
    """
    nodes = graph_nodes(output, names)
    fig, ax = new_figure(width=6.4, height=0.9 + 0.75 * max(2, _widest_column(nodes)))
    ax.set_axis_off()
    if not nodes:
        ax.text(0.5, 0.5, _("no graph: this tensor has no grad_fn"), ha="center", va="center")
        return fig
    positions = _node_positions(nodes)
    boxes = []
    for node, (x, y) in zip(nodes, positions):
        text, color = _node_text(node)  # the box edge in the colour, the text darkened to read (>= 4.5:1)
        boxes.append(ax.text(x, y, text, ha="center", va="center", fontsize=9, color=ink(color),
                             bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": color}))
    for node, box in zip(nodes, boxes):
        for child, bend in zip(node.inputs, _bends(node.inputs)):
            # an arrow from this node's left edge to its input's right edge; a node that uses the same
            # input twice (x * x) gets two arrows, bent apart so both are visible
            ax.annotate("", xy=(1.0, 0.5), xycoords=boxes[child], xytext=(0.0, 0.5), textcoords=box,
                        arrowprops={"arrowstyle": "-|>", "color": COLORS["grey"], "shrinkA": 4, "shrinkB": 4,
                                    "connectionstyle": f"arc3,rad={bend}"})
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_title(_(title) if title else _("backward graph (gradients flow right \u2192 left)"))
    return fig


def _bends(children: list[int]) -> list[float]:
    """Curvature of each arrow to ``children``: 0 for a single edge, +-0.3 for a repeated one."""
    bends, seen = [], {}
    for child in children:
        count = children.count(child)
        k = seen.get(child, 0)
        seen[child] = k + 1
        bends.append(0.0 if count == 1 else 0.3 * (1 if k % 2 == 0 else -1) * (1 + k // 2))
    return bends


def _widest_column(nodes: list[GraphNode]) -> int:
    counts: dict[int, int] = {}
    for node in nodes:
        counts[node.depth] = counts.get(node.depth, 0) + 1
    return max(counts.values(), default=1)


# --------------------------------------------------------------------------------------------------
# .grad over a sequence of calls


def plot_grad_history(history, labels=None, target=None, name: str = "x",
                      title: str = N_("What .grad holds after each call"), target_label: str = N_("target")):
    """One line per component of ``.grad`` over a sequence of events (backward calls, resets).

    ``history`` is a list of gradient tensors (``None`` is drawn as a gap: ``.grad`` is None there);
    ``target`` adds dashed lines at the values the history should reach.
    """
    rows = [np.full(_width(history), np.nan) if g is None else g.detach().reshape(-1).numpy()
            for g in history]
    values = np.vstack(rows)
    steps = np.arange(1, len(history) + 1)
    fig, ax = new_figure(width=6.4, height=3.4)
    for j in range(values.shape[1]):
        color = PALETTE[j % len(PALETTE)]
        ax.plot(steps, values[:, j], "o-", color=color, label=f"{name}.grad[{j}]")
        if target is not None:
            ax.axhline(float(target.reshape(-1)[j]), color=color, linestyle="--", linewidth=1, alpha=0.7)
    if target is not None:
        ax.plot([], [], "--", color=COLORS["grey"], linewidth=1,
                label=_("{target} (dashed)").format(target=_(target_label)))
    ax.set_xticks(steps)
    ax.set_xticklabels([_(label) for label in labels] if labels
                       else [_("call {number}").format(number=k) for k in steps], rotation=20 if labels else 0)
    ax.set_ylabel(_("value stored in .grad"))
    ax.set_title(_(title))
    ax.legend(loc="upper left", fontsize=9, frameon=True, framealpha=1.0, facecolor="white",
              edgecolor=COLORS["grey"])  # opaque: the curves may pass behind it
    return fig


def _width(history) -> int:
    return next((g.numel() for g in history if g is not None), 1)


# --------------------------------------------------------------------------------------------------
# Turning autograd off: what each way does to a result


def _grad_fn_name(t: torch.Tensor) -> str:
    return type(t.grad_fn).__name__ if t.grad_fn is not None else "None"


def grad_state_table(results: dict[str, torch.Tensor]) -> str:
    """A table, one row per tensor: ``requires_grad``, ``grad_fn``, ``is_leaf`` and ``is_inference()``.

    Returned as text so a notebook can ``print`` it (the values are read from the tensors, not typed).
    """
    width = max(len(name) for name in results) + 2
    first = _pad(_("how it was computed"), width)
    header = f"{first}{'requires_grad':>14}{'grad_fn':>14}{'is_leaf':>9}{'inference':>11}"
    lines = [header, "-" * _columns(header)]
    for name, t in results.items():
        lines.append(f"{name:{width}}{t.requires_grad!s:>14}{_grad_fn_name(t):>14}{t.is_leaf!s:>9}"
                     f"{t.is_inference()!s:>11}")
    return "\n".join(lines)


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: a CJK character is two columns wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` columns, like ``f"{text:{width}}"`` but counting wide characters."""
    return text + " " * max(0, width - _columns(text))
