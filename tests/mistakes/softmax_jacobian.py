"""Lesson 4 (softmax and its Jacobian): realistic learner answers (format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: stable_softmax(z, dim)

E1 = "stable_softmax"

STABLE_SOFTMAX = [
    Right(E1, '''
def answer(z, dim):
    shifted = z - z.max(dim=dim, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)
''', "the solution"),
    Right(E1, '''
def answer(z, dim):
    """Same numbers as torch.softmax(z, dim) / F.softmax, without calling them."""
    e = (z - torch.amax(z, dim=dim, keepdim=True)).exp()
    return e / torch.sum(e, dim, keepdim=True)
''', "amax, a docstring naming torch.softmax"),
    Right(E1, '''
def answer(z, dim):
    return torch.exp(z - torch.logsumexp(z, dim=dim, keepdim=True))
''', "exp of z minus logsumexp"),
    Right(E1, '''
def answer(z, dim):
    z64 = z.double()
    m = z64.max(dim, keepdim=True)[0]
    e = torch.exp(z64 - m)
    return (e / e.sum(dim, keepdim=True)).to(z.dtype)
''', "float64 inside, [0] of the max pair"),
    Wrong(E1, '''
def answer(z, dim):
    return torch.softmax(z, dim=dim)
''', r"built-in softmax", "calls torch.softmax"),
    Wrong(E1, '''
from torch.nn.functional import softmax as normalise
def answer(z, dim):
    return normalise(z, dim)
''', r"built-in softmax", "softmax under an alias"),
    Wrong(E1, '''
def answer(z, dim):
    return z.softmax(dim)
''', r"built-in softmax", "the tensor method"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)
''', r"NaN|overflow|large|max|shift", "no max subtraction"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max())
    return e / e.sum(dim=dim, keepdim=True)
''', r"whole tensor|own max|each sample", "global max"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    return e / e.sum()
''', r"whole tensor|within each sample|sum", "sums over everything"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    return e / e.max(dim=dim, keepdim=True).values
''', r"max instead of the sum|sum", "divides by the max"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=0, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)
''', r"dim", "always dim 0"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim)
''', r"keepdim", "lost keepdim in the sum"),
    Wrong(E1, '''
def answer(z, dim):
    return z - torch.logsumexp(z, dim=dim, keepdim=True)
''', r"log", "log-probabilities"),
    Wrong(E1, '''
def answer(z, dim):
    z -= z.max(dim=dim, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)
''', r"in place|changes the caller|input", "changes the input in place"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
''', r"values|pair|amax", "subtracts the (values, indices) pair"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    e / e.sum(dim=dim, keepdim=True)
''', r"return|None", "forgot return"),
    Right(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    return (e / e.sum(dim=dim, keepdim=True)).double()
''', "returns float64"),
    Right(E1, '''
def answer(z, dim):
    if z.dim() == 1:
        e = torch.exp(z - z.max())
        return e / e.sum()
    out = torch.empty_like(z)
    other = 1 - dim
    for i in range(z.shape[other]):
        s = z.select(other, i)
        e = torch.exp(s - s.max())
        out.select(other, i).copy_(e / e.sum())
    return out
''', "a Python loop over the samples"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z - z.mean(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
''', r"mean or the min|only the \*?max", "shifts by the mean"),
    Wrong(E1, '''
def answer(z, dim):
    e = torch.exp(z.clamp(-80, 80))
    return e / e.sum(dim=dim, keepdim=True)
''', r"clamp|large logits", "clamps the logits"),
    Wrong(E1, '''
def answer(z, dim):
    e = 2 ** (z - z.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)
''', r"base|exp", "powers of 2"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2: log_softmax_jacobian(z)

E2 = "log_softmax_jacobian"

LOG_SOFTMAX_JACOBIAN = [
    Right(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - p
''', "the solution"),
    Right(E2, '''
def answer(z):
    """Not torch.autograd.functional.jacobian: delta_ij - p_j by hand."""
    e = torch.exp(z - z.max())
    p = e / e.sum()
    n = z.shape[0]
    return torch.eye(n) - p.unsqueeze(0).expand(n, n)
''', "softmax by hand, expand; docstring names the forbidden function"),
    Right(E2, '''
def answer(z):
    p = torch.exp(torch.log_softmax(z.double(), dim=0))
    J = -p.repeat(len(z), 1)
    J = J + torch.eye(len(z), dtype=torch.float64)
    return J.float()
''', "float64, repeat"),
    Right(E2, '''
def answer(z):
    p = torch.softmax(z, 0)
    n = len(p)
    return torch.tensor([[(1.0 if i == j else 0.0) - p[j].item() for j in range(n)] for i in range(n)])
''', "Python loops"),
    Wrong(E2, '''
def answer(z):
    z = z.detach().requires_grad_()
    return torch.autograd.functional.jacobian(lambda t: torch.log_softmax(t, dim=0), z)
''', r"autograd", "uses autograd.functional.jacobian"),
    Wrong(E2, '''
def answer(z):
    z = z.clone().requires_grad_()
    rows = []
    for i in range(len(z)):
        (g,) = torch.autograd.grad(torch.log_softmax(z, 0)[i], z)
        rows.append(g)
    return torch.stack(rows)
''', r"autograd", "row by row with autograd.grad"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.diag(p) - torch.outer(p, p)
''', r"softmax itself|chain rule|p_i", "softmax's Jacobian"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - p[:, None]
''', r"transpos", "transposed"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return p - torch.eye(len(z))
''', r"sign", "sign flipped"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.diag(1 - p)
''', r"diagonal", "only the diagonal"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return -p.repeat(len(z), 1)
''', r"identity|\+1|diagonal", "forgot the identity"),
    Wrong(E2, '''
def answer(z):
    return torch.eye(len(z)) - torch.log_softmax(z, dim=0)
''', r"log|probabilit", "log p instead of p"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    J = torch.diag(p) - torch.outer(p, p)
    return J / p[:, None]
''', r"underflow|0/0|NaN|divid|stab", "divides by p"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - torch.outer(p, p)
''', r"rows .*sum to 0|sum", "outer product in place of p"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return 1 - p
''', r"shape|n x n|matrix", "a vector, not a matrix"),
    Wrong(E2, '''
def answer(z):
    e = torch.exp(z)
    p = e / e.sum()
    return torch.eye(len(z)) - p
''', r"overflow|NaN|inf|max|stab", "softmax by hand without the shift (fails only at z=+-200)"),
    Right(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return (torch.eye(len(z)) - p[None, :]).double()
''', "float64 result"),
    Right(E2, '''
def answer(z):
    p = torch.softmax(z, 0)
    eye = torch.eye(len(z))
    return eye * (1 - p) - (1 - eye) * p
''', "diagonal and off-diagonal by masks"),
    Wrong(E2, '''
def answer(z):
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - torch.outer(p, torch.ones(len(z)))
''', r"transpos", "outer(p, ones): the transpose"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: predict_temperature_jacobian (a value: (J00, J01, row sum))

E3 = "predict_temperature_jacobian"

PREDICT_TEMPERATURE_JACOBIAN = [
    Right(E3, "answer = (3 / 32, -1 / 32, 0.0)", "fractions"),
    Right(E3, "answer = [0.0938, -0.0312, 0]", "rounded, a list with an int"),
    Right(E3, "answer = torch.tensor([0.09375, -0.03125, 0.0])", "a tensor"),
    Right(E3, "answer = (torch.tensor(0.25 * 0.75 / 2), -0.25 ** 2 / 2, 0)", "a 0-d tensor among numbers"),
    Wrong(E3, "answer = (3 / 16, -1 / 16, 0.0)", r"1/T|chain rule", "forgot the temperature"),
    Wrong(E3, "answer = (3 / 8, -1 / 8, 0.0)", r"divided|1/T|chain rule", "multiplied by T"),
    Wrong(E3, "answer = (1 / 8, -1 / 32, 0.0)", r"p_i\(1 - p_i\)|diagonal", "forgot -p^2"),
    Wrong(E3, "answer = (0.25, -0.0625, 0.0)", r"p_i\(1 - p_i\)|diagonal", "forgot -p^2 and 1/T"),
    Wrong(E3, "answer = (3 / 32, 1 / 32, 0.0)", r"negative|lowers", "off-diagonal sign"),
    Wrong(E3, "answer = (3 / 32, -1 / 32, 1.0)", r"sum", "row sum 1"),
    Wrong(E3, "answer = (0.25, 0.25, 1.0)", r"J\[0, 0\]|not what|sum|probabilit", "the probabilities"),
    Wrong(E3, "answer = (0.0, 0.0, 0.0)", r"J\[0, 0\]|not what", "zero logits, zero derivative"),
    Wrong(E3, "answer = 3 / 32", r"three numbers", "one number"),
    Wrong(E3, "answer = (3 / 32, -1 / 32)", r"three numbers", "forgot the row sum"),
]

ENTRIES = STABLE_SOFTMAX + LOG_SOFTMAX_JACOBIAN + PREDICT_TEMPERATURE_JACOBIAN
