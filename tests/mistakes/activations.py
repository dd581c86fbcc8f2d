"""Lesson 1 (activations): realistic learner answers for every exercise (format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: sigmoid(z) from its formula, without the built-in sigmoid

E1 = "sigmoid"

SIGMOID = [
    Right(E1, '''
def answer(z):
    return 1 / (1 + torch.exp(-z))
''', "the solution"),
    Right(E1, '''
def answer(z):
    """Same as torch.sigmoid(z) / F.sigmoid, written by hand (no torch.special.expit either)."""
    return torch.reciprocal(1 + torch.exp(-z))  # not z.sigmoid()
''', "docstring and comment name the built-in"),
    Right(E1, '''
def answer(z):
    return 0.5 * (1 + torch.tanh(z / 2))
''', "through tanh"),
    Right(E1, '''
def answer(z):
    return torch.exp(-torch.logaddexp(torch.zeros_like(z), -z))
''', "log-space: exp(-log(1 + e^-z))"),
    Right(E1, '''
def answer(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))
''', "the two-branch stable form"),
    Right(E1, '''
def answer(z):
    return 1 - 1 / (1 + torch.exp(z))
''', "1 - sigma(-z)"),
    Wrong(E1, '''
def answer(z):
    return 1 / (1 + torch.exp(-2 * z))
''', r"steeper|flatter|exponent", "exponent doubled"),
    Wrong(E1, '''
def answer(z):
    return torch.sigmoid(z)
''', r"built-in sigmoid", "calls the built-in"),
    Wrong(E1, '''
from torch.special import expit as logistic
def answer(z):
    return logistic(z)
''', r"built-in sigmoid", "the built-in under an alias"),
    Wrong(E1, '''
def answer(z):
    return z.sigmoid()
''', r"built-in sigmoid", "the tensor method"),
    Wrong(E1, '''
def answer(z):
    return torch.exp(z) / (1 + torch.exp(z))
''', r"overflow", "exp(z)/(1+exp(z))"),
    Wrong(E1, '''
def answer(z):
    return 1 / (1 + torch.exp(z))
''', r"sign|decreas", "sign flipped in the exponent"),
    Wrong(E1, '''
def answer(z):
    return 1 / torch.exp(-z)
''', r"1 \\+|denominator", "forgot 1 + in the denominator"),
    Wrong(E1, '''
def answer(z):
    return 1 / (1 + z)
''', r"exponential|exp", "forgot the exponential"),
    Wrong(E1, '''
def answer(z):
    return torch.tensor([1 / (1 + math.exp(-v)) for v in z.tolist()])
''', r"scalar|single number|element-wise|0-d", "math.exp in a list comprehension"),
    Wrong(E1, '''
def answer(z):
    return (1 / (1 + torch.exp(-z))).tolist()
''', r"list|tensor", "returns a list"),
    Wrong(E1, '''
def answer(z):
    return torch.exp(-z) / (1 + torch.exp(-z))
''', r"1 - sigma|decreas|sign", "computed 1 - sigma"),
    Wrong(E1, '''
def answer(z):
    z = z.float()
    return 1 / (1 + torch.exp(-z))
''', r"float32|precision|dtype", "cast to float32"),
    Wrong(E1, '''
def answer(z):
    return 1 / (2 + torch.exp(-z))
''', r"sigma\\(0\\)|1/2|\\[0, 1\\]|shift|differ", "2 + instead of 1 +"),
    Wrong(E1, '''
def answer(z):
    return torch.tanh(z)
''', r"tanh", "tanh instead of sigmoid"),
    Wrong(E1, '''
def answer(z):
    z.neg_()
    return 1 / (1 + torch.exp(z))
''', r"in place|caller's tensor|changes", "negates the input in place"),
    Wrong(E1, '''
def answer(z):
    1 / (1 + torch.exp(-z))
''', r"return", "forgot return"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2: SiLU'(z) by hand, without autograd

E2 = "silu_prime"

SILU_PRIME = [
    Right(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))
''', "the solution"),
    Right(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return s + z * s * (1 - s)   # product rule, not torch.autograd.grad
''', "product rule expanded; comment names autograd"),
    Right(E2, '''
import torch.nn.functional as G
def answer(z):
    """Derivative of G.silu without backward()."""
    return torch.sigmoid(z) + G.silu(z) * (1 - torch.sigmoid(z))
''', "through F.silu under an alias; docstring names backward"),
    Right(E2, '''
def answer(z):
    s = z.sigmoid()
    return s * (1 + z - z * s)
''', "method form, expanded"),
    Wrong(E2, '''
def answer(z):
    z = z.detach().requires_grad_()
    F.silu(z).sum().backward()
    return z.grad
''', r"autograd", "backward"),
    Wrong(E2, '''
def answer(z):
    x = z.clone().requires_grad_(True)
    return torch.autograd.grad(F.silu(x).sum(), x)[0]
''', r"autograd", "autograd.grad"),
    Wrong(E2, '''
def answer(z):
    h = 1e-4
    return (F.silu(z + h) - F.silu(z - h)) / (2 * h)
''', r"approximat|difference quotient", "central difference"),
    Wrong(E2, '''
def answer(z):
    return F.silu(z)
''', r"SiLU itself|not its derivative", "returned the function"),
    Wrong(E2, '''
def answer(z):
    return torch.sigmoid(z)
''', r"product rule|one term|first term", "forgot the second term"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return z * s * (1 - s)
''', r"product rule|term", "forgot the first term"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return s * (1 - s)
''', r"sigma'|product rule", "sigma' only"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return s + z * (1 - s ** 2)
''', r"tanh", "tanh's rule for sigma'"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return s - z * s * (1 - s)
''', r"sign", "minus in the product rule"),
    Wrong(E2, '''
def answer(z):
    e = torch.exp(-z)
    return (1 + e + z * e) / (1 + e) ** 2
''', r"overflow|NaN|inf|stab", "exp form"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return 2 * s * (1 - s) * s
''', r"sigma\\(z\\) \\* sigma\\(z\\)|both factors|first factor", "as if SiLU were sigma^2"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return (s * (1 + z * (1 - s))).tolist()
''', r"list|tensor", "returns a list"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z)
    return 2 * s * (1 + z * (1 - s))
''', r"twice|factor|2", "factor 2"),
    Wrong(E2, '''
def answer(z):
    s = torch.sigmoid(z.float())
    return s * (1 + z.float() * (1 - s))
''', r"float32|precision|dtype", "cast to float32"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: predict z.grad for sigmoid(z) + relu(z) at z = -1000, 0, 1000

E3 = "predict_grad"

PREDICT = [
    Right(E3, "answer = [0, 0.25, 1]", "ints and a float"),
    Right(E3, "answer = torch.tensor([0.0, 0.25, 1.0])", "a tensor"),
    Right(E3, "answer = (0.0, 1 / 4, 1.0)", "a tuple with an expression"),
    Right(E3, "answer = torch.tensor([0., .25, 1.], dtype=torch.float64)", "float64 tensor"),
    Wrong(E3, "answer = [0, 1.25, 1]", r"ReLU'\(0\)|kink|subgradient", "ReLU'(0) = 1"),
    Wrong(E3, "answer = [0, 0.75, 1]", r"ReLU'\(0\)|kink|average", "ReLU'(0) = 1/2"),
    Wrong(E3, "answer = [0, 0.5, 1]", r"value|slope|sigma'", "sigma(0) for sigma'(0)"),
    Wrong(E3, "answer = [0, 0.5, 1001]", r"values of y|derivatives", "predicted y"),
    Wrong(E3, "answer = [float('nan'), 0.25, 1]", r"NaN|overflow", "expected NaN"),
    Wrong(E3, "answer = [0, 0.25, 0]", r"ReLU|slope is 1", "forgot ReLU' at 1000"),
    Wrong(E3, "answer = [0, 0.5, 2]", r"values of sigmoid|slopes", "sigma for sigma' everywhere"),
    Wrong(E3, "answer = [0.25, 0.25, 1.25]", r"flat|saturat|slope there is 0", "no saturation"),
    Wrong(E3, "answer = 1.25", r"one number|sum|reduc|shape", "summed the gradient"),
    Wrong(E3, "answer = [1, 0.25, 0]", r"differ|revers|flip|order", "reversed order"),
    Wrong(E3, "answer = [0, 0.25]", r"element|shape|2", "forgot an element"),
]

ENTRIES = SIGMOID + SILU_PRIME + PREDICT
