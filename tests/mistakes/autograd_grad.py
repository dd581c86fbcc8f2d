"""Lesson 2 (torch.autograd.grad, grad_outputs, create_graph, hooks): realistic learner answers for every
exercise (format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: gradient_of_f(x), with autograd, the caller's tensor unchanged

E1 = "gradient_of_f"
F_DEF = '''
def f(x):
    return x[0] * x[1] ** 2 + torch.exp(x[2])

'''

GRADIENT_OF_F = [
    Right(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x)
    return g
''', "the solution"),
    Right(E1, F_DEF + '''
def answer(x):
    """Could also be done by hand: torch.stack([x[1]**2, ...]) -- but autograd does it."""
    leaf = x.clone().detach().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad
''', "backward() on a clone, docstring with a hand formula"),
    Right(E1, F_DEF + '''
def answer(x):
    leaf = torch.tensor(x.tolist(), dtype=x.dtype, requires_grad=True)
    return torch.autograd.grad([f(leaf)], [leaf], retain_graph=True)[0]
''', "a new tensor from a list, lists of outputs/inputs, retain_graph"),
    Right(E1, F_DEF + '''
from torch.autograd.functional import jacobian as J

def answer(x):
    return J(f, x.detach())   # the Jacobian of a scalar function is its gradient
''', "autograd.functional.jacobian under an alias"),
    Right(E1, F_DEF + '''
def answer(x):
    with torch.enable_grad():
        x2 = x.detach().double().requires_grad_()
        g = torch.autograd.grad(f(x2), x2)[0]
    return g.to(x.dtype)
''', "computes in float64, returns x's dtype"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(f(x), x)
''', r"tuple", "returned the tuple"),
    Wrong(E1, F_DEF + '''
def answer(x):
    y = f(x)
    return torch.autograd.grad(y, x)[0]
''', r"requires? grad|no graph", "forgot requires_grad"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x.requires_grad_(True)
    y = f(x)
    (g,) = torch.autograd.grad(y, x)
    return g
''', r"caller|input|requires_grad", "switched on requires_grad on the caller's tensor"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    y = f(x)
    return torch.autograd.grad(y, x[0])[0]
''', r"slice|not (been )?used|graph", "differentiated with respect to x[0]"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    y = f(x)
    return torch.autograd.grad(y, x.clone())[0]
''', r"copy|clone|not (been )?used|graph", "differentiated with respect to a copy"),
    Wrong(E1, F_DEF + '''
def answer(x):
    # the derivative by hand
    return torch.stack([x[1] ** 2, 2 * x[0] * x[1], torch.exp(x[2])])
''', r"autograd", "formula by hand, no autograd"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    return f(x).detach()
''', r"value of the function|f\(x\)|not its gradient", "returned f(x)"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(f(x), x, create_graph=True)[0]
''', r"requires grad|graph|detach", "returned a gradient still attached to a graph"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    g = torch.autograd.grad(f(x), x)[0]
    return g[0]
''', r"one partial derivative|single number|one entry", "returned only the first entry"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    g = torch.autograd.grad(f(x), x)[0]
    return -g
''', r"sign", "returned the negative gradient (the descent direction)"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().float().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x)
    return g
''', r"dtype|float", "cast the input to float32"),
    Wrong(E1, F_DEF + '''
def answer(x):
    x = x.detach().requires_grad_()
    y = f(x)
    y.backward()
''', r"None|return", "forgot to return"),
    Wrong(E1, '''
def f(x):
    return x[0] * x[1] * 2 + torch.exp(x[2])

def answer(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(f(x), x)[0]
''', r"differ|value", "mistyped f (x1 * 2 instead of x1 ** 2)"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2: hand_gradient(w, x, t) = dL/dw for L = (w . x - t)^2, without autograd

E2 = "hand_gradient"

HAND_GRADIENT = [
    Right(E2, '''
def answer(w, x, t):
    return 2 * (w @ x - t) * x
''', "the solution"),
    Right(E2, '''
def answer(w, x, t):
    """Checked against torch.autograd.grad(loss, w) -- but no autograd call here."""
    residual = torch.dot(w, x) - t
    return x * residual * 2
''', "torch.dot, docstring naming autograd.grad"),
    Right(E2, '''
def answer(w, x, t):
    u = (w * x).sum() - t
    return 2.0 * u * x
''', "sum of the element-wise product"),
    Right(E2, '''
def answer(w, x, t):
    return torch.mul(x, 2 * (torch.matmul(w, x) - t)).to(w.dtype)
''', "torch.mul/torch.matmul"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (t - w @ x) * x
''', r"sign|direction", "sign flipped"),
    Wrong(E2, '''
def answer(w, x, t):
    return (w @ x - t) * x
''', r"half|factor|2", "forgot the factor 2"),
    Wrong(E2, '''
def answer(w, x, t):
    return 4 * (w @ x - t) * x
''', r"twice|factor|2", "factor 4"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w @ x - t)
''', r"inner derivative|chain rule", "forgot the inner derivative"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w @ x - t) * w
''', r"with respect to `?x|proportional to `?w", "derivative with respect to x"),
    Wrong(E2, '''
def answer(w, x, t):
    return (w @ x - t) ** 2
''', r"loss|gradient", "returned the loss"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w * x - t) * x
''', r"element-wise|dot product", "element-wise product in the bracket"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w @ x + t) * x
''', r"`?t`?.*sign|sign of t", "sign of t"),
    Wrong(E2, '''
def answer(w, x, t):
    w = w.detach().requires_grad_()
    loss = (w @ x - t) ** 2
    return torch.autograd.grad(loss, w)[0]
''', r"autograd", "used autograd.grad"),
    Wrong(E2, '''
from torch.autograd import grad as derivative

def answer(w, x, t):
    w = w.clone().requires_grad_()
    return derivative((w @ x - t) ** 2, w)[0]
''', r"autograd", "used autograd under an alias"),
    Wrong(E2, '''
def answer(w, x, t):
    w.requires_grad_()
    ((w @ x - t) ** 2).backward()
    return w.grad
''', r"autograd|backward|caller|input", "backward() on the caller's w"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w @ x - t) * x / len(x)
''', r"1/N|divided|scale|factor|smaller", "divided by N"),
    Wrong(E2, '''
def answer(w, x, t):
    return 2 * (w @ x - t) * x.sum()
''', r"multiple|inner derivative|shape", "summed x"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: weighted_gradient(x, v) = v^T J of lesson.layer at x

E3 = "weighted_gradient"
LESSON = '''
from lessonkit import autograd_grad as lesson

'''

WEIGHTED_GRADIENT = [
    Right(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    (g,) = torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype))
    return g
''', "the solution"),
    Right(E3, LESSON + '''
def answer(x, v):
    x = x.detach().clone().requires_grad_()
    (v.to(x.dtype) * lesson.layer(x)).sum().backward()
    return x.grad
''', "the gradient of v . y with backward()"),
    Right(E3, LESSON + '''
def answer(x, v):
    J = torch.autograd.functional.jacobian(lesson.layer, x.detach())
    return v.to(J.dtype) @ J
''', "the whole Jacobian, then v @ J"),
    Right(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    rows = [torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(2)]
    return v[0].to(x.dtype) * rows[0] + v[1].to(x.dtype) * rows[1]
''', "one row per output, weighted by hand"),
    Right(E3, LESSON + '''
def answer(x, v):
    y = torch.tanh(lesson.A.to(x.dtype) @ x.detach())
    return (v.to(x.dtype) * (1 - y ** 2)) @ lesson.A.to(x.dtype)
''', "the chain rule by hand (tanh' = 1 - tanh^2)"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y.sum(), x)[0]
''', r"does not depend on `?v|every weight|ignored", "ignored v"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    return v.to(x.dtype) @ lesson.A.to(x.dtype)
''', r"tanh", "forgot tanh's derivative"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y[1], x)[0]
''', r"single output|both outputs|one output", "only the second output"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=v.flip(0).to(y.dtype))[0]
''', r"swapped|entry i|goes with", "weights in the wrong order"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    return torch.autograd.functional.jacobian(lesson.layer, x.detach())
''', r"whole Jacobian", "returned J"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype))
''', r"tuple", "returned the tuple"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x)[0]
''', r"two entries|weight|non-scalar|scalar", "no grad_outputs on a two-entry output"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=v)[0]
''', r"requires? grad|no graph", "forgot to make a leaf that requires grad"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype), create_graph=True)[0]
''', r"requires grad|graph|detach", "kept the graph"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return v.to(y.dtype) * y.detach()
''', r"one entry per \*?output", "weighted outputs instead of a gradient"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return -torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype))[0]
''', r"sign", "a minus sign"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    g = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))[0]
    return g * v.sum()
''', r"does not depend|row|combination|weight|differ", "scaled the gradient of the sum by sum(v)"),
    Wrong(E3, LESSON + '''
def answer(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=torch.tensor([0., 1.]))[0]
''', r"single output|both outputs|one output|dtype|differ", "copied section 4's one-hot vector"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 4: predict dx when a hook scales the gradient on the path through u

E4 = "predict_hook"

PREDICT_HOOK = [
    Right(E4, "answer = 84", "an int"),
    Right(E4, "answer = 84.0", "a float"),
    Right(E4, "answer = torch.tensor(84.)", "a 0-d tensor"),
    Right(E4, "answer = torch.tensor([84.], dtype=torch.float64)", "a one-element float64 tensor"),
    Right(E4, "x = 2.0\nanswer = 10 * x * 2 * x + x ** 2   # path through u, scaled, plus the direct path",
          "worked out as a formula"),
    Wrong(E4, "answer = 12", r"without the hook|hook", "ignored the hook"),
    Wrong(E4, "answer = 120.", r"whole|every path|through `?u", "scaled the whole derivative"),
    Wrong(E4, "answer = 80", r"directly|direct", "forgot the direct path"),
    Wrong(E4, "answer = 4", r"direct|through `?u", "only the direct path"),
    Wrong(E4, "answer = 8", r"y itself|derivative", "the value of y"),
    Wrong(E4, "answer = torch.tensor(12.)", r"without the hook|hook", "ignored the hook, as a tensor"),
    Wrong(E4, "answer = 40", r"not what the code prints", "scaled dy/du but forgot du/dx and the direct path"),
    Wrong(E4, "answer = 44", r"not what the code prints", "scaled the direct path instead"),
    Wrong(E4, "answer = 24", r"not what the code prints", "10 * x + u"),
    Right(E4, "answer = [84]", "the number in a one-element list"),
    Wrong(E4, "answer = '84'", r"one number", "a string"),
]

ENTRIES = GRADIENT_OF_F + HAND_GRADIENT + WEIGHTED_GRADIENT + PREDICT_HOOK
