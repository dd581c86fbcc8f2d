"""Lesson 7 (tolist_item): realistic learner answers for every exercise (format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: log_entry(step, loss, w) -> {"step": int, "loss": float, "w": nested lists}

E1 = "log_entry"

LOG_ENTRY = [
    Right(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.tolist()}
''', "the solution"),
    Right(E1, '''
def answer(step, loss, w):
    record = {}
    record["w"] = w.detach().cpu().numpy().tolist()   # via NumPy, detached first
    record["loss"] = float(loss.detach().reshape(()))
    record["step"] = int(step)
    return record
''', "through NumPy, float()/int(), keys in another order"),
    Right(E1, '''
def answer(step, loss, w):
    return dict(step=int(step.item()), loss=loss.sum().item(), w=w.tolist())
''', "dict(), sum() of a one-element tensor"),
    Right(E1, '''
def answer(step, loss, w):
    """Not loss.tolist(): that keeps the nesting of a (1,) loss."""
    return {"step": step.tolist(), "loss": loss.flatten()[0].item(), "w": w.tolist()}
''', "step.tolist() of a 0-d int tensor is an int; docstring mentions tolist"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step, "loss": loss, "w": w}
''', r"'step' is a tensor|tensor", "no conversion at all"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss, "w": w.tolist()}
''', r"'loss' is a tensor", "kept the loss tensor"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.tolist(), "w": w.tolist()}
''', r"nesting|one number", "loss.tolist() keeps the nesting"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.detach()}
''', r"'w' is .*tensor", "w detached but still a tensor"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.detach().numpy()}
''', r"NumPy", "w as a NumPy array"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.numpy().tolist()}
''', r"NumPy|graph", ".numpy() on a tensor that requires grad"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.flatten().tolist()}
''', r"nest|shape", "flattened w"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": float(step), "loss": loss.item(), "w": w.tolist()}
''', r"int", "step as a float"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": round(loss.item(), 4), "w": w.tolist()}
''', r"rounded|not exactly", "rounded the loss"),
    Wrong(E1, '''
def answer(step, loss, w):
    return [step.item(), loss.item(), w.tolist()]
''', r"dict", "a list instead of a dict"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": float(w)}
''', r"several elements|shape", "float() of a many-element w"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": [v.item() for v in w]}
''', r"0-d|loop|every shape|any shape", "loops over w (fails on 0-d and 2-D)"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "weights": w.tolist()}
''', r"keys", "wrong key name"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.float().tolist()}
''', r"not exactly|values", "float64 w squeezed through float32"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.item()}
''', r"several elements|shape", "w.item()"),
    Wrong(E1, '''
def answer(step, loss, w):
    return {"step": step.item(), "loss": loss[0].item(), "w": w.tolist()}
''', r"shape|0-d|index", "loss[0] (fails for a 0-d loss)"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2: mean_loss(model, batches, loss_fn) -> float, recording no graph

E2 = "mean_loss"

MEAN_LOSS = [
    Right(E2, '''
def answer(model, batches, loss_fn):
    total = 0.0
    with torch.no_grad():
        for x, y in batches:
            total += loss_fn(model(x), y).item()
    return total / len(batches)
''', "the solution"),
    Right(E2, '''
def answer(model, batches, loss_fn):
    with torch.inference_mode():
        losses = torch.stack([loss_fn(model(x), y) for x, y in batches])
        return losses.mean().item()
''', "inference_mode, stacked tensor"),
    Right(E2, '''
@torch.no_grad()
def answer(model, batches, loss_fn):
    model.eval()
    values = [float(loss_fn(model(x), y)) for x, y in batches]
    return sum(values) / len(values)
''', "no_grad as a decorator, model.eval(), float()"),
    Right(E2, '''
def answer(model, batches, loss_fn):
    with torch.set_grad_enabled(False):
        total = torch.zeros(())
        for x, y in batches:
            total = total + loss_fn(model(x), y)
    return (total / len(batches)).item()
''', "set_grad_enabled(False), tensor total converted at the end"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0.0
    for x, y in batches:
        total += loss_fn(model(x), y).item()
    return total / len(batches)
''', r"records a graph|graph", "item() but no no_grad"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0
    for x, y in batches:
        total += loss_fn(model(x).detach(), y)
    return (total / len(batches)).item()
''', r"records a graph|graph", "detach after the forward pass"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0
    for x, y in batches:
        total = total + loss_fn(model(x), y)
    return total / len(batches)
''', r"graph", "the leaking loop of the lesson"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        return sum(loss_fn(model(x), y) for x, y in batches) / len(batches)
''', r"tensor", "returns a tensor"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() for x, y in batches)
''', r"sum", "sum, not mean"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0.0
    with torch.no_grad():
        for x, y in batches:
            total += loss_fn(model(x), y).item()
            return total / len(batches)
''', r"first batch|inside the loop", "return inside the loop"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        for x, y in batches:
            loss = loss_fn(model(x), y).item()
    return loss
''', r"last batch", "only the last batch"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total, n = 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            total += loss_fn(model(x), y).item()
            n += len(x)
    return total / n
''', r"samples", "divided by the number of samples"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0.0
    with torch.no_grad:
        for x, y in batches:
            total += loss_fn(model(x), y).item()
    return total / len(batches)
''', r"parentheses", "no_grad without parentheses"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    total = 0.0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        loss.backward()
        total += loss.item()
    return total / len(batches)
''', r"graph|backward|gradient", "calls backward in evaluation"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        losses = [loss_fn(model(x), y).item() for x, y in batches]
    return losses
''', r"list|float", "returns the list of batch losses"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        x = torch.cat([x for x, _ in batches])
        y = torch.cat([y for _, y in batches])
        return loss_fn(model(x), y).item()
''', r"differ|value|mean", "one big batch (sample mean, not batch mean)"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: predict the printout of a[1].tolist(), a[1, 0].item(), b[0].tolist(), (a > 2).sum().item()

E3 = "predict_types"

PREDICT = [
    Right(E3, "answer = ([3, 4], 3, [0.5, 1.0], 2)", "the tuple"),
    Right(E3, "answer = [[3, 4], 3, [0.5, 1.0], 2]", "a list"),
    Right(E3, "answer = ((3, 4), 3, (0.5, 1.0), 2)", "tuples inside"),
    Wrong(E3, "answer = ([3.0, 4.0], 3.0, [0.5, 1.0], 2)", r"integer tensor|int64|type", "floats from an int tensor"),
    Wrong(E3, "answer = ([3, 4], 3, [0, 1], 2)", r"true division|division", "integer division"),
    Wrong(E3, "answer = ([1, 2], 1, [0.5, 1.0], 2)", r"start at 0|second row", "1-based rows"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.0], True)", r"bool", "bool count"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.0], 2.0)", r"float|int", "count as float"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.0], 1)", r"greater than|True entries", "counted > 3"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.0], 3)", r"greater than|True entries", "counted >= 2"),
    Wrong(E3, "answer = ([3, 4], [3], [0.5, 1.0], 2)", r"bare number|one element|list", "item() as a list"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.5], 2)", r"row|column", "b[0] as a column"),
    Wrong(E3, "answer = ([3, 4], 3, [0.5, 1.0])", r"elements|4|3", "forgot the count"),
    Wrong(E3, "answer = ([3, 4], 3, [1.5, 2.0], 2)", r"differ|value|not the expected", "used the second row of b"),
]

MEAN_LOSS += [
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        sums = [loss_fn(model(x), y, reduction="sum").item() for x, y in batches]
    return sum(sums) / len(sums)
''', r"sums over the samples|reduction", "reduction='sum' per batch"),
    Wrong(E2, '''
def answer(model, batches, loss_fn):
    with torch.no_grad():
        mean = sum(loss_fn(model(x), y).item() for x, y in batches) / len(batches)
    return round(mean, 3)
''', r"rounded", "rounded the result"),
]

ENTRIES = LOG_ENTRY + MEAN_LOSS + PREDICT
