"""Lesson 6 (Adam on the Himmelblau function): realistic learner answers for every exercise
(format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: fit_line(t, y, steps) -- a training loop with two parameters, torch.optim.Adam, lr=0.1

E1 = "fit_line"
HEAD = '''
def fit_line(t, y, steps):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
'''
TAIL = '''
    return w, b

answer = fit_line
'''


def loop(optimizer="torch.optim.Adam([w, b], lr=0.1)", loss="((w * t + b - y) ** 2).mean()",
         body="optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()"):
    return (HEAD + f"    optimizer = {optimizer}\n    for step in range(steps):\n        loss = {loss}\n        "
            + body + TAIL)


FIT_LINE = [
    Wrong(E1, loop(body="loss.backward()\n        optimizer.step()"), r"zero_grad|accumulat|adds", "no zero_grad"),
    Wrong(E1, loop(body="loss.backward()\n        optimizer.zero_grad()\n        optimizer.step()"),
          r"erased|before `backward", "zero_grad between backward and step"),
    Wrong(E1, loop(body="optimizer.zero_grad()\n        loss.backward()"), r"step\(\)|no optimizer|nothing applied",
          "no step()"),
    Wrong(E1, loop(optimizer="torch.optim.Adam([w], lr=0.1)"), r"b stayed|Is b in the list", "only w optimised"),
    Wrong(E1, loop(optimizer="torch.optim.Adam([b], lr=0.1)"), r"w stayed|Is w in the list", "only b optimised"),
    Wrong(E1, loop(loss="(w * t + b - y).mean() ** 2"), r"squared the \*?mean|square first", "square of the mean"),
    Wrong(E1, loop(loss="(w * t + b - y).mean()"), r"not squared|Square the residuals", "residual not squared"),
    Wrong(E1, loop(optimizer="torch.optim.Adam([w, b])"), r"learning rate|lr", "default lr 1e-3"),
    Wrong(E1, loop(optimizer="torch.optim.SGD([w, b], lr=0.1)"), r"SGD", "SGD instead of Adam"),
    Wrong(E1, loop(optimizer="torch.optim.AdamW([w, b], lr=0.1)"), r"AdamW", "AdamW instead of Adam"),
    Wrong(E1, loop(optimizer="torch.optim.Adam(w, b, lr=0.1)"), r"one (list|iterable)|separate",
          "two tensors as two arguments"),
    Wrong(E1, HEAD + '''
    for step in range(steps):
        loss = ((w * t + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
''' + TAIL, r"Adam|no optimizer", "manual gradient descent, no optimizer"),
    Wrong(E1, HEAD + '''
    optimizer = torch.optim.Adam([w, b], lr=0.1)
    for step in range(steps):
        loss = ((w * t + b - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss

answer = fit_line
''', r"loss|two parameters", "returns the loss"),
    Wrong(E1, '''
def fit_line(t, y, steps):
    w = torch.tensor(0, requires_grad=True)
    b = torch.tensor(0, requires_grad=True)
    optimizer = torch.optim.Adam([w, b], lr=0.1)
    for step in range(steps):
        optimizer.zero_grad()
        ((w * t + b - y) ** 2).mean().backward()
        optimizer.step()
    return w, b

answer = fit_line
''', r"float", "integer zeros"),
    Wrong(E1, '''
def fit_line(t, y, steps):
    w = torch.zeros(())
    b = torch.zeros(())
    optimizer = torch.optim.Adam([w, b], lr=0.1)
    for step in range(steps):
        optimizer.zero_grad()
        loss = ((w * t + b - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return w, b

answer = fit_line
''', r"require.?.?grad", "forgot requires_grad"),
    Wrong(E1, HEAD + '''
    optimizer = torch.optim.Adam([w, b], lr=0.1)
    for step in range(steps):
        loss = ((w * t + b - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return w, b

answer = fit_line
''', r"`steps` times|loop run", "return inside the loop (one step)"),
    # correct answers written in unusual ways
    Right(E1, loop(), "the solution"),
    Right(E1, loop(loss="((w * t + b - y) ** 2).sum()"), "sum instead of mean (Adam is scale invariant)"),
    Right(E1, '''
def fit_line(t, y, steps):
    """Adam, not torch.optim.SGD: a docstring naming SGD changes nothing."""
    w = torch.nn.Parameter(torch.tensor(0.0))
    b = torch.nn.Parameter(torch.tensor(0.0))
    opt = torch.optim.Adam(params=(w, b), lr=0.1)
    for _ in range(steps):
        F.mse_loss(w * t + b, y).backward()
        opt.step()
        opt.zero_grad()
    return w.item(), b.item()

answer = fit_line
''', "nn.Parameter, F.mse_loss, zero_grad after step, floats returned"),
    Right(E1, '''
def fit_line(t, y, steps):
    params = torch.zeros(2, dtype=torch.float64, requires_grad=True)   # [w, b] in one float64 tensor
    optimizer = torch.optim.Adam([params], lr=0.1)
    for step in range(steps):
        w, b = params
        loss = torch.mean((t * w + b - y) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return params.detach()

answer = fit_line
''', "one float64 tensor holding both, returned as a 2-element tensor"),
    Right(E1, '''
def fit_line(t, y, steps):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt_w = torch.optim.Adam([w], lr=0.1)
    opt_b = torch.optim.Adam([b], lr=0.1)
    for _ in range(steps):
        residual = w * t + b - y
        loss = (residual * residual).mean()
        opt_w.zero_grad()
        opt_b.zero_grad()
        loss.backward()
        opt_w.step()
        opt_b.step()
    return [w, b]

answer = fit_line
''', "one Adam per parameter, shape (1,), a list returned"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2 (predict): which minimum Adam (lr 1e-2, 2,000 steps) reaches from (3, 0), (5, 1), (0.5, -5.5)

E2 = "predict_minimum"
PREDICT = [
    Wrong(E2, 'answer = ["D", "A", "D"]', r"nearest", "the nearest minimum (also gradient descent's)"),
    Wrong(E2, 'answer = ["A", "A", "C"]', r"start 2", "start 2 wrong"),
    Wrong(E2, 'answer = ["D", "D", "C"]', r"start 1", "start 1 wrong"),
    Wrong(E2, 'answer = ["A", "D", "D"]', r"start 3", "start 3 wrong"),
    Wrong(E2, 'answer = ["A", "A", "A"]', r"start 2.*start 3", "all A"),
    Wrong(E2, 'answer = ["C", "D", "A"]', r"start 1.*start 3", "reversed"),
    Wrong(E2, 'answer = ["B", "B", "B"]', r"3 of 3", "all B"),
    Wrong(E2, 'answer = ["A", "D"]', r"list of 3 letters", "two letters"),
    Wrong(E2, 'answer = ["A", "D", "E"]', r"list of 3 letters|one of A, B, C, D", "no minimum E"),
    Wrong(E2, 'answer = [0, 3, 2]', r"list of 3 letters|letters", "indices instead of letters"),
    Wrong(E2, 'answer = "A"', r"list of 3 letters", "one letter"),
    Wrong(E2, 'answer = [(3.0, 2.0), (3.584, -1.848), (-3.779, -3.283)]', r"letters", "coordinates"),
    Right(E2, 'answer = "ADC"', "a string"),
    Right(E2, 'answer = ("a", "d", "c")', "lower case tuple"),
    Right(E2, 'answer = [" A", "D ", "c"]', "spaces and mixed case"),
    Right(E2, 'answer = "A, D, C"', "comma-separated string"),
]

ENTRIES = FIT_LINE + PREDICT
