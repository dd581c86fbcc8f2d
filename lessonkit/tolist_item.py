"""Lesson 7 -- ``tolist()`` and ``item()``: the pictures and exercises of notebooks/07_tolist_item.ipynb."""

from __future__ import annotations

import torch

from lessonkit.checks import ErrorHint, Exercise, Mistake
from lessonkit.figures import COLORS, new_figure

# --------------------------------------------------------------------------------------------------
# Why log loss.item(): a list of loss *tensors* keeps every step's graph alive


def graph_nodes(tensors) -> int:
    """How many autograd graph nodes are reachable from ``tensors`` (kept alive by holding them)."""
    seen, stack = set(), [t.grad_fn for t in tensors if isinstance(t, torch.Tensor) and t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return len(seen)


def logging_experiment(steps: int = 200, every: int = 20):
    """Run a tiny gradient-descent loop twice: logging ``loss`` vs ``loss.item()``.

    Returns ``(step_numbers, nodes_kept_by_tensors, nodes_kept_by_floats)``.
    """
    data = torch.linspace(-1, 1, 32)
    target = 3 * data + 1
    results = {}
    for mode in ("tensor", "item"):
        w = torch.zeros(2, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=0.1)
        history, counts = [], []
        for step in range(1, steps + 1):
            loss = ((w[0] * data + w[1] - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss if mode == "tensor" else loss.item())
            if step % every == 0:
                counts.append(graph_nodes(history))
        results[mode] = counts
    return list(range(every, steps + 1, every)), results["tensor"], results["item"]


def plot_logging_experiment(steps: int = 200, every: int = 20):
    """Graph nodes kept alive while logging ``loss`` (tensors) vs ``loss.item()`` (floats)."""
    step_numbers, kept_tensors, kept_floats = logging_experiment(steps, every)
    fig, ax = new_figure(width=6.0, height=3.4)
    ax.plot(step_numbers, kept_tensors, "o-", color=COLORS["red"], label="history.append(loss)")
    ax.plot(step_numbers, kept_floats, "s-", color=COLORS["green"], label="history.append(loss.item())")
    ax.set_xlabel("training steps logged")
    ax.set_ylabel("autograd nodes kept alive")
    ax.set_title("Logging tensors keeps every step's graph alive")
    ax.legend()
    return fig


# --------------------------------------------------------------------------------------------------
# Exercise 1: per-step losses -> a list of Python floats


def _losses_cases():
    torch.manual_seed(7)
    recorded = torch.rand(5) * 3
    trained = (torch.linspace(2.0, 0.1, 6) ** 2).requires_grad_(True) * 1.0  # a tensor inside a graph
    return [(recorded,), (torch.tensor([0.25]),), (trained,), (torch.tensor([], dtype=torch.float32),)]


def _losses_reference(losses: torch.Tensor) -> list[float]:
    return losses.tolist()


def _is_list_of_tensors(answer, losses) -> bool:
    return isinstance(answer, list) and len(answer) > 0 and all(isinstance(v, torch.Tensor) for v in answer)


losses_to_floats = Exercise(
    title="Exercise 1: losses as Python floats",
    reference=_losses_reference,
    inputs=_losses_cases,
    function=True,
    mistakes=[
        Mistake("a list of 0-d tensors",
                "Your list holds 0-d *tensors*, not Python floats (`list(t)` and `[v for v in t]` "
                "only split the tensor along its first dimension). Convert each element to a Python number.",
                test=_is_list_of_tensors),
        Mistake("returned the tensor itself",
                "You returned a tensor. The task is a plain Python list: look for the tensor method that "
                "converts *all* elements at once.",
                test=lambda answer, losses: isinstance(answer, torch.Tensor)),
        Mistake("returned a NumPy array",
                "You returned a NumPy array; a plain Python list is expected.",
                test=lambda answer, losses: type(answer).__module__ == "numpy"),
    ],
    error_hints=[
        ErrorHint(r"a Tensor with \d+ elements cannot be converted to Scalar",
                  "`.item()` works only on a tensor with exactly one element, and the losses tensor has "
                  "several. Use the method that converts a whole tensor to a (possibly nested) list.",
                  name="called .item() on the whole tensor"),
    ],
    hints=[
        "Each element must end up as a Python `float`. One tensor method converts a whole tensor "
        "into a list of Python numbers in one call.",
        "`.item()` converts a single element; the method that converts all of them returns a list "
        "(nested for 2-D tensors). It works on tensors that require grad too.",
    ],
    solution_text="""
def losses_to_floats(losses):
    return losses.tolist()          # one call, every element a Python float

# equivalent, element by element:
#   return [loss.item() for loss in losses]
""",
    success="Every element is a plain Python float, and nothing keeps a graph alive.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: a Python scalar from a one-element tensor of any shape


def _scalar_cases():
    return [
        (torch.tensor(5.0),),
        (torch.tensor([2]),),
        (torch.tensor([[3.5]]),),
        (torch.tensor([[[-4]]], dtype=torch.int64),),
        (torch.tensor([0.5], requires_grad=True) * 2,),
    ]


def _scalar_reference(t: torch.Tensor):
    return t.item()


def _integer_became_float(answer, t) -> bool:
    return (not t.is_floating_point()) and isinstance(answer, float)


one_element_to_scalar = Exercise(
    title="Exercise 2: a scalar from a one-element tensor",
    reference=_scalar_reference,
    inputs=_scalar_cases,
    function=True,
    mistakes=[
        Mistake("returned a tensor",
                "You returned a tensor (indexing like `t[0]` gives a smaller *tensor*, not a number). "
                "Return a Python number.",
                test=lambda answer, t: isinstance(answer, torch.Tensor)),
        Mistake("returned a list",
                "You returned a list: `.tolist()` keeps the tensor's nesting, so a tensor of shape (1, 1) "
                "becomes `[[x]]`. There is a method that returns the one number directly, whatever the shape.",
                test=lambda answer, t: isinstance(answer, list)),
        Mistake("an integer tensor became a float",
                "For an integer tensor the Python value should be an `int` (`float(t)` always gives a "
                "float). The method you need keeps ints as ints and floats as floats.",
                test=_integer_became_float),
    ],
    error_hints=[
        ErrorHint(r"invalid index of a 0-dim tensor|too many indices for tensor",
                  "Indexing depends on the shape (a 0-d tensor has no `[0]`, a 2-D one needs `[0, 0]`). "
                  "One method works for every shape as long as there is exactly one element.",
                  name="indexing that depends on the shape"),
        ErrorHint(r"object is not subscriptable",
                  "For a 0-d tensor `.tolist()` returns a plain number, which cannot be indexed. "
                  "Use a method that works for every shape.",
                  name="indexing that depends on the shape"),
    ],
    hints=[
        "Whatever the shape -- `()`, `(1,)`, `(1, 1, 1)` -- the tensor holds exactly one number. "
        "Indexing would need a different index for each shape.",
        "The method's docs say: \"Returns the value of this tensor as a standard Python number. "
        "This only works for tensors with one element.\"",
    ],
    solution_text="""
def one_element_to_scalar(t):
    return t.item()     # any shape, as long as t.numel() == 1; int stays int, float stays float
""",
    success="`.item()` works for any shape with exactly one element, and keeps the int/float type.",
)
