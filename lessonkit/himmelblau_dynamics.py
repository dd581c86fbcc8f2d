"""Lesson 6, the computations: the Himmelblau function, its four minima, and optimisation runs with
``torch.optim`` (one start, or many starts batched as the rows of one tensor).

Plain functions that benchmarks and tests time and check:

    run_reference_loop()                      the reference program (one start, Adam, 20,000 steps)
    run_old_adam()                            the same with the Adam of PyTorch <= 1.2 (eps before the
                                              bias correction): reproduces the reference's printed lines
    optimise_batch(starts, steps, lr, ...)    many starts at once, one batched tensor, torch.optim
    basins_map(resolution, ...)               which minimum every start of a grid reaches
"""

from __future__ import annotations

import math

import torch

# --------------------------------------------------------------------------------------------------
# The function and its four minima

# Newton's method in float64 from the textbook values (tests/test_adam_himmelblau.py repeats it):
# f and the gradient vanish at these points to float64 precision. Shown rounded to 6 decimals.
MINIMA_F64 = torch.tensor([[3.0, 2.0],
                           [-2.805118086952745, 3.131312518250573],
                           [-3.779310253377747, -3.2831859912861696],
                           [3.5844283403304917, -1.8481265269644034]], dtype=torch.float64)
MINIMA = MINIMA_F64.float()
MINIMUM_NAMES = ("A", "B", "C", "D")
LOCAL_MAXIMUM = (-0.270845, -0.923039)  # f = 181.617 (tests check the gradient vanishes there)
LIMIT = 6.0  # pictures show the square [-LIMIT, LIMIT]^2
OPTIMIZER_NAMES = ("SGD", "SGD + momentum", "RMSprop", "Adam")


def himmelblau(p):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 for a point (2,) or a batch (..., 2); tensor or array."""
    x, y = p[..., 0], p[..., 1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def newton_minima(points=MINIMA_F64, iterations: int = 8, penalty: float = 0.0) -> torch.Tensor:
    """Newton's method on the gradient, in float64, from each row of ``points`` (N, 2).

    With ``penalty`` = lambda it finds the stationary points of f(p) + lambda/2 |p|^2 instead: what an
    L2 penalty (``Adam(weight_decay=lambda)``) makes the minima.
    """
    def objective(p):
        return himmelblau(p) + 0.5 * penalty * (p ** 2).sum()

    refined = []
    for point in torch.as_tensor(points, dtype=torch.float64):
        for _ in range(iterations):
            gradient = torch.autograd.functional.jacobian(objective, point)
            hessian = torch.autograd.functional.hessian(objective, point)
            point = point - torch.linalg.solve(hessian, gradient)
        refined.append(point)
    return torch.stack(refined)


def nearest_minimum(points) -> torch.Tensor:
    """Index (0..3 = A..D) of the minimum nearest to each point of a (N, 2) batch; -1 where not finite."""
    points = torch.as_tensor(points, dtype=torch.float32).detach().reshape(-1, 2)
    index = torch.cdist(points.nan_to_num(nan=1e6, posinf=1e6, neginf=-1e6), MINIMA).argmin(dim=1)
    return torch.where(torch.isfinite(points).all(dim=1), index, torch.full_like(index, -1))


def minimum_names(points) -> list[str]:
    """The letter (A..D) of the minimum nearest to each point; '?' where the point is not finite."""
    return [MINIMUM_NAMES[i] if i >= 0 else "?" for i in nearest_minimum(points).tolist()]


# --------------------------------------------------------------------------------------------------
# Optimisation runs


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """One of the four optimizers this lesson compares, by name (case-insensitive), with torch's defaults.

    ``params`` may be a list of tensors or of param-group dicts (each with its own ``"lr"``).
    """
    key = name.lower().replace(" ", "")
    if key == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if key in ("sgd+momentum", "momentum"):
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if key == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if key == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZER_NAMES}")


def run_reference_loop(start=(-4.0, 0.0), lr: float = 1e-3, steps: int = 20000, every: int = 2000):
    """The reference program: Adam on one start. Returns (final x, the lines it would print)."""
    x = torch.tensor(list(start), requires_grad=True)
    optimizer = torch.optim.Adam([x], lr=lr)
    lines = []
    for step in range(steps):
        pred = himmelblau(x)
        optimizer.zero_grad()
        pred.backward()
        optimizer.step()
        if step % every == 0:
            lines.append(f"step {step}: x = {x.tolist()}, f(x) = {pred.item()}")
    return x.detach(), lines


def run_old_adam(start=(-4.0, 0.0), lr: float = 1e-3, steps: int = 2001, every: int = 2000,
                 betas=(0.9, 0.999), eps: float = 1e-8):
    """The reference loop with the Adam update of PyTorch <= 1.2, written out in float32 torch ops.

    Then ``torch/optim/adam.py`` added eps to sqrt(v) *before* the bias correction and folded
    sqrt(1 - beta2^t) into the step size, and updated m with ``mul_``/``add_``:

        denom = sqrt(v) + eps;   x -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / denom

    Since pytorch/pytorch#22628 (2019) eps is added after the correction, as in the paper:
    ``denom = sqrt(v) / sqrt(1 - beta2^t) + eps;  x -= lr / (1 - beta1^t) * m / denom``.
    """
    beta1, beta2 = betas
    x = torch.tensor(list(start), requires_grad=True)
    m, v = torch.zeros(2), torch.zeros(2)
    lines = []
    for step in range(steps):
        pred = himmelblau(x)
        x.grad = None
        pred.backward()
        t = step + 1
        with torch.no_grad():
            m.mul_(beta1).add_(x.grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(x.grad, x.grad, value=1 - beta2)
            denom = v.sqrt().add_(eps)  # eps before the bias correction (the old placement)
            x.addcdiv_(m, denom, value=-lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t))
        if step % every == 0:
            lines.append(f"step {step}: x = {x.tolist()}, f(x) = {pred.item()}")
    return x.detach(), lines


def optimise_batch(starts, steps: int, lr: float, optimizer: str = "adam", record_every: int | None = None):
    """Optimise f from every row of ``starts`` (N, 2) at once: one tensor, one optimizer, f summed.

    Every optimizer here is elementwise and the gradient of a sum is the gradient of each term, so
    each row follows exactly the trajectory it would follow alone (tests check it bit for bit).
    Returns the final (N, 2) points, or ``(final, path)`` with ``path`` of shape
    (steps // record_every + 1, N, 2) when recording.
    """
    points = torch.as_tensor(starts, dtype=torch.float32).detach().clone().requires_grad_(True)
    opt = make_optimizer(optimizer, [points], lr)
    path = [points.detach().clone()] if record_every else None
    for step in range(1, steps + 1):
        loss = himmelblau(points).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if record_every and step % record_every == 0:
            path.append(points.detach().clone())
    final = points.detach()
    return (final, torch.stack(path)) if record_every else final


def start_grid(resolution: int, limit: float = LIMIT) -> torch.Tensor:
    """resolution^2 starts on a square grid over [-limit, limit]^2, row by row (y fixed in a row)."""
    axis = torch.linspace(-limit, limit, resolution)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


def basins_map(resolution: int = 200, limit: float = LIMIT, optimizer: str = "adam", lr: float = 1e-2,
               steps: int = 2000) -> torch.Tensor:
    """(resolution, resolution) map: index 0..3 of the minimum reached from each grid start (-1: none).

    Row i is y = linspace(-limit, limit)[i], column j is x = linspace(...)[j] (origin bottom-left).
    """
    final = optimise_batch(start_grid(resolution, limit), steps, lr, optimizer)
    labels = nearest_minimum(final)
    far = (final - MINIMA[labels.clamp(min=0)]).norm(dim=1) > 0.1
    labels[far] = -1  # not (yet) at a minimum: shown grey
    return labels.reshape(resolution, resolution)
