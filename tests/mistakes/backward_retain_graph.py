"""Lesson 3 (backward, .grad, retain_graph): realistic learner answers for every exercise
(format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: minibatch_gradient(w, X, Y, batch_size)

E1 = "minibatch_gradient"
EXPERIMENT_1 = '''
def answer(w, X, Y, batch_size):
    full_loss = ((X @ w - Y) ** 2).mean()
    full_loss.backward()
'''

MINIBATCH = [
    Right(E1, EXPERIMENT_1 + '''
    w.grad = None
    N = len(X)
    for start in range(0, N, batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        batch_loss = ((Xb @ w - Yb) ** 2).sum() / N
        batch_loss.backward()
    return w.grad
''', "the solution"),
    Right(E1, EXPERIMENT_1 + '''
    w.grad.zero_()
    for Xb, Yb in zip(torch.split(X, batch_size), torch.split(Y, batch_size)):
        loss = ((Xb @ w - Yb) ** 2).mean() * len(Xb) / len(X)   # the batch's share of the mean
        loss.backward()
    return w.grad
''', "zero_(), torch.split, mean weighted by the batch's share"),
    Right(E1, EXPERIMENT_1 + '''
    w.grad = torch.zeros_like(w)
    n = X.shape[0]
    i = 0
    while i < n:
        F.mse_loss(X[i:i + batch_size] @ w, Y[i:i + batch_size], reduction="sum").div(n).backward()
        i += batch_size
    return w.grad.clone()
''', "while loop, F.mse_loss(reduction='sum'), returns a clone"),
    Right(E1, EXPERIMENT_1 + '''
    """Accumulate: do NOT use torch.autograd.grad here, backward() adds into w.grad."""
    w.grad = None
    X64, Y64 = X.double(), Y.double()
    for start in range(0, len(X), batch_size):
        residual = X64[start:start + batch_size] @ w.double() - Y64[start:start + batch_size]
        (residual.pow(2).sum() / len(X)).backward()
    return w.grad
''', "float64 computation, docstring names autograd.grad"),
    Wrong(E1, EXPERIMENT_1 + '''
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
    return w.grad
''', r"experiment 1|reset|zero", "forgot to reset w.grad"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        ((Xb @ w - Yb) ** 2).mean().backward()
    return w.grad
''', r"mean|batch size|too large", "plain mean per batch"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        ((Xb @ w - Yb) ** 2).sum().backward()
    return w.grad
''', r"divid|\bN\b", "sum without dividing by N"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad.zero_()
    n_batches = (len(X) + batch_size - 1) // batch_size
    for Xb, Yb in zip(X.split(batch_size), Y.split(batch_size)):
        (((Xb @ w - Yb) ** 2).mean() / n_batches).backward()
    return w.grad
''', r"number of batches|same size", "mean / number of batches with an uneven last batch"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for i in range(len(X) // batch_size):
        Xb = X[i * batch_size:(i + 1) * batch_size]
        Yb = Y[i * batch_size:(i + 1) * batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
    return w.grad
''', r"last.*batch|smaller|skipped", "integer division drops the last batch"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        ((Xb @ w - Yb) ** 2 / len(X)).backward()
    return w.grad
''', r"scalar|single number|reduce", "backward on a vector loss"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    w.grad.zero_()
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
    return w.grad
''', r"None", "zero_() on a grad that was set to None"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        batch_loss = ((Xb @ w - Yb) ** 2).sum() / len(X)
    return w.grad
''', r"no .?backward|backward\(\)", "forgot backward: w.grad stays None"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad.zero_()
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        batch_loss = ((Xb @ w - Yb) ** 2).sum() / len(X)
    return w.grad
''', r"backward", "forgot backward after zero_(): zeros"),
    Wrong(E1, EXPERIMENT_1 + '''
    total = torch.zeros_like(w)
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        g, = torch.autograd.grad(((Xb @ w - Yb) ** 2).sum() / len(X), w)
        total = total + g
    return total
''', r"accumulat|one .?backward", "autograd.grad and a running sum instead of w.grad"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
''', r"return", "forgot return"),
    Wrong(E1, EXPERIMENT_1 + '''
    for start in range(0, len(X), batch_size):
        w.grad = None
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
    return w.grad
''', r"single mini-batch|thrown away|inside the loop", "reset inside the loop: only the last batch survives"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    n_batches = len(X) // batch_size
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).mean() / n_batches).backward()
    return w.grad
''', r"number of batches", "mean / (N // batch_size)"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / batch_size).backward()
    return w.grad
''', r"batch_size", "divides each batch by batch_size"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        ((Xb @ w - Yb).abs().sum() / len(X)).backward()
    return w.grad
''', r"squar", "absolute error instead of squared"),
    Wrong(E1, EXPERIMENT_1 + '''
    w.grad = None
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
    return w
''', r"returns `w` itself|not their gradient", "returns w instead of w.grad"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2 (predict): x.grad after calls (1)-(4)

E2 = "predict_grad"

PREDICT_GRAD = [
    Right(E2, "answer = torch.tensor([7., 20., 39.])", "float tensor"),
    Right(E2, "answer = [7, 20, 39]", "a list of ints"),
    Right(E2, '''
x = torch.tensor([1., 2., 3.])
answer = 2 * x + 2 * x + 3 * x ** 2     # calls (1), (2), (4); (3) raised
''', "computed from x"),
    Right(E2, "answer = torch.tensor([7, 20, 39], dtype=torch.float64)", "float64"),
    Wrong(E2, "answer = torch.tensor([9., 24., 45.])", r"call \(3\)|freed|raises", "thought call (3) adds"),
    Wrong(E2, "answer = torch.tensor([3., 12., 27.])", r"adds|overwrit|replac", "only the last call"),
    Wrong(E2, "answer = torch.tensor([5., 16., 33.])", r"retain_graph|call \(2\)|once",
          "thought call (2) raises"),
    Wrong(E2, "answer = torch.tensor([4., 8., 12.])", r"call \(4\)|new graph", "stopped at the error"),
    Wrong(E2, "answer = torch.tensor([7., 14., 21.])", r"derivative|x\*\*3", "d/dx x^3 = 3x"),
    Wrong(E2, "answer = torch.tensor([5., 16., 39.])", r"derivative|x\*\*3", "forgot to differentiate x^3"),
    Wrong(E2, "answer = torch.tensor([5., 20., 45.])", r"derivative|x\*\*2", "d/dx x^2 = x^2"),
    Wrong(E2, "answer = [9, 24, 45]", r"call \(3\)|freed|raises", "list: thought retain_graph keeps the graph forever"),
    Wrong(E2, "answer = torch.tensor(66.)", r"shape", "summed the three values"),
    Wrong(E2, '''
x = torch.tensor([1., 2., 3.])
answer = 2 * x + 3 * x ** 2
''', r"retain_graph|call \(2\)|once", "counted y's backward once"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: evaluate(w, batches) without recording a graph

E3 = "evaluate"

EVALUATE = [
    Right(E3, '''
def answer(w, batches):
    total, rows = 0.0, 0
    with torch.no_grad():
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).sum().item()
            rows += len(Y)
    return total / rows
''', "the solution"),
    Right(E3, '''
def answer(w, batches):
    with torch.inference_mode():
        errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
        return errors.mean()
''', "inference_mode, one concatenated mean, returns a 0-d tensor"),
    Right(E3, '''
@torch.no_grad()
def answer(w, batches):
    """Don't call backward() here -- evaluation only."""
    se = sum(F.mse_loss(X.double() @ w.double(), Y.double(), reduction="sum") for X, Y in batches)
    return float(se / sum(Y.numel() for _, Y in batches))
''', "decorator, F.mse_loss(reduction='sum'), float64, docstring mentions backward"),
    Right(E3, '''
def answer(w, batches):
    w = w.detach()          # shares memory, no history: nothing below is recorded
    total = 0
    count = 0
    for X, Y in batches:
        total = total + ((X @ w - Y) ** 2).sum()
        count = count + Y.shape[0]
    return (total / count).item()
''', "detaches w first instead of a with block"),
    Right(E3, '''
def answer(w, batches):
    with torch.set_grad_enabled(False):
        sq = [((X @ w - Y) ** 2) for X, Y in batches]
    return torch.cat(sq).mean().item()
''', "set_grad_enabled(False) as a with block"),
    Right(E3, '''
def answer(w, batches):
    return torch.cat([(X @ w.data - Y) ** 2 for X, Y in batches]).mean().item()   # .data: no history
''', "w.data instead of a with block"),
    Wrong(E3, '''
def answer(w, batches):
    total, rows = 0.0, 0
    for X, Y in batches:
        total += ((X @ w - Y) ** 2).sum().item()
        rows += len(Y)
    return total / rows
''', r"recorded a graph|graph", "no no_grad, .item() per batch"),
    Wrong(E3, '''
def answer(w, batches):
    errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
    return errors.mean()
''', r"graph", "no no_grad, returns a tensor with grad_fn"),
    Wrong(E3, '''
def answer(w, batches):
    errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
    return errors.mean().detach()
''', r"graph|detach", "detach at the end"),
    Wrong(E3, '''
def answer(w, batches):
    torch.set_grad_enabled(False)
    errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
    return errors.mean().item()
''', r"switched off|grad mode|with. block", "set_grad_enabled(False) as a plain statement"),
    Wrong(E3, '''
def answer(w, batches):
    w.requires_grad_(False)
    errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
    return errors.mean().item()
''', r"requires_grad", "switches off the parameter's requires_grad"),
    Wrong(E3, '''
def answer(w, batches):
    loss = torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()
    loss.backward()
    return loss.item()
''', r"backward", "calls backward while evaluating"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        means = [((X @ w - Y) ** 2).mean() for X, Y in batches]
    return sum(means) / len(means)
''', r"batch means|different sizes|every row", "mean of the batch means"),
    Wrong(E3, '''
def answer(w, batches):
    total = 0.0
    with torch.no_grad():
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).mean().item()
    return total
''', r"batch means|added", "adds the batch means"),
    Wrong(E3, '''
def answer(w, batches):
    total = 0.0
    with torch.no_grad():
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).sum().item()
    return total
''', r"sum|divide", "forgot to divide"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        for X, Y in batches:
            total = ((X @ w - Y) ** 2).mean().item()
    return total
''', r"last batch|overwr", "total = instead of +="),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
        return errors.mean().sqrt().item()
''', r"root|sqrt", "RMSE"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad:
        errors = torch.cat([(X @ w - Y) ** 2 for X, Y in batches])
    return errors.mean().item()
''', r"parenthes|torch\.no_grad\(\)", "with torch.no_grad without ()"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        return [((X @ w - Y) ** 2).mean().item() for X, Y in batches]
''', r"one number|list", "returns one loss per batch"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        return sum(((X @ w - Y) ** 2).sum() for X, Y in batches) / len(batches)
''', r"number of batches", "SSE / number of batches"),
    Wrong(E3, '''
def answer(w, batches):
    total = 0
    with torch.no_grad():
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).sum()
    return total / len(Y)
''', r"last batch", "divides by the leftover loop variable's size"),
    Wrong(E3, '''
def answer(w, batches):
    with torch.no_grad():
        return torch.cat([(X @ w - Y).abs() for X, Y in batches]).mean().item()
''', r"absolute", "mean absolute error"),
    Wrong(E3, '''
def answer(w, batches):
    torch.no_grad()          # a statement on its own: switches nothing off
    return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean().item()
''', r"recorded a graph", "torch.no_grad() without with"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 4 (predict): a tensor used twice, h = 2x, y = sum(h*h + h)

E4 = "predict_two_paths"

PREDICT_TWO_PATHS = [
    Right(E4, "answer = torch.tensor([10., 18., 26.])", "float tensor"),
    Right(E4, "answer = [10, 18, 26]", "list of ints"),
    Right(E4, '''
x = torch.tensor([1., 2., 3.])
h = 2 * x
answer = (2 * h + 1) * 2        # dy/dh times dh/dx
''', "computed through h"),
    Right(E4, "answer = torch.tensor([10., 18., 26.], dtype=torch.float64)", "float64"),
    Wrong(E4, "answer = torch.tensor([8., 16., 24.])", r"h \* h|\+ h|path", "only the h*h path"),
    Wrong(E4, "answer = torch.tensor([2., 2., 2.])", r"path|h \* h", "only the direct path"),
    Wrong(E4, "answer = torch.tensor([6., 10., 14.])", r"twice|both factors|product rule", "h*h as one use"),
    Wrong(E4, "answer = torch.tensor([5., 9., 13.])", r"dh/dx|h = 2 \* x|with respect to h", "forgot the chain"),
    Wrong(E4, "answer = torch.tensor([3., 5., 7.])", r"h were x|dh/dx|chain", "treated h as x"),
    Wrong(E4, "answer = [8, 16, 24]", r"h \* h|\+ h|path", "list: only the h*h path"),
    Wrong(E4, "answer = torch.tensor(54.)", r"shape", "summed the gradient"),
    Wrong(E4, '''
x = torch.tensor([1., 2., 3.])
h = 2 * x
answer = 2 * h + 1
''', r"dh/dx|with respect to h", "gradient with respect to h"),
    Wrong(E4, '''
x = torch.tensor([1., 2., 3.])
answer = 8 * x
''', r"h \* h|\+ h|path", "only the quadratic path, computed"),
    Wrong(E4, "answer = torch.tensor([9., 17., 25.])", r"dh/dx|both paths|direct path",
          "chain factor on the h*h path only"),
]

ENTRIES = MINIBATCH + PREDICT_GRAD + EVALUATE + PREDICT_TWO_PATHS
