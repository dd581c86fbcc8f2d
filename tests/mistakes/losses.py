"""Lesson 5 (losses): realistic learner answers for every exercise (format: tests/mistakes/__init__.py)."""

from tests.mistakes import Right, Wrong

# --------------------------------------------------------------------------------------------------
# Exercise 1: weighted_bce(p, y, w)

E1 = "weighted_bce"

WEIGHTED_BCE = [
    Right(E1, '''
def answer(p, y, w):
    losses = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    return (w * losses).mean()
''', "the solution"),
    Right(E1, '''
def answer(p, y, w):
    """Like F.binary_cross_entropy(p, y, weight=w), but by hand (no nn.BCELoss)."""
    w = w.expand_as(p)
    total = (w * (y * p.log() + (1 - y) * (1 - p).log())).sum()
    return -total / p.numel()
''', "docstring names the forbidden functions; sum / numel"),
    Right(E1, '''
def answer(p, y, w):
    p, y, w = p.double(), y.double(), w.double()
    per = torch.log(p) * y + torch.log1p(-p) * (1 - y)
    return -torch.mean(per * w).float()
''', "float64 inside, log1p"),
    Right(E1, '''
def answer(p, y, w):
    terms = torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)
    return -(terms * w).mean()
''', "xlogy"),
    Wrong(E1, '''
def answer(p, y, w):
    return F.binary_cross_entropy(p, y, weight=w)
''', r"pytorch loss|loss function", "calls the library"),
    Wrong(E1, '''
import torch.nn as nn
def answer(p, y, w):
    return nn.BCELoss(weight=w)(p, y)
''', r"pytorch loss|loss function", "the module under another import"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
''', r"weight", "forgot the weights"),
    Wrong(E1, '''
def answer(p, y, w):
    return (w * (y * torch.log(p) + (1 - y) * torch.log(1 - p))).mean()
''', r"negative|minus|sign", "missing minus"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * torch.log(p) + (1 - y) * torch.log(1 - p))).sum()
''', r"sum|mean|average|1/N|number of elements", "sum instead of mean"),
    Wrong(E1, '''
def answer(p, y, w):
    l = -(w * (y * torch.log(p) + (1 - y) * torch.log(1 - p)))
    return l.sum() / w.sum()
''', r"sum of the weights|total weight|weighted average", "divides by the total weight (as CE's weight does)"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
''', r"one of the two|both|one term", "weight on the positive term only"),
    Wrong(E1, '''
def answer(p, y, w):
    l = -(w * (y * torch.log(p) + (1 - y) * torch.log(1 - p)))
    return l.sum() / len(p)
''', r"rows|len\(p\)|number of elements", "divides by the number of rows"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (p * torch.log(y) + (1 - p) * torch.log(1 - y))).mean()
''', r"labels|log of the", "swapped p and y"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * torch.log(1 - p) + (1 - y) * torch.log(p))).mean()
''', r"wrong labels|paired|swapped", "swapped the two terms"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * torch.log2(p) + (1 - y) * torch.log2(1 - p))).mean()
''', r"base|natural", "log base 2"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * p + (1 - y) * (1 - p))).mean()
''', r"log", "forgot the log"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * torch.log(p) + (1 - y) * torch.log(1 - p)))
''', r"one number|0-d|single|shape|mean", "no reduction"),
    Wrong(E1, '''
import math
def answer(p, y, w):
    return -(w * (y * math.log(p) + (1 - y) * math.log(1 - p))).mean()
''', r"math\.log|torch\.log", "math.log on a tensor"),
    Right(E1, '''
def answer(p, y, w):
    return -(w * (y * p.log() + (1 - y) * (1 - p).log())).double().mean()
''', "returns float64"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * y * torch.log(p)).mean()
''', r"term", "only the y log p term"),
    Wrong(E1, '''
def answer(p, y, w):
    return -(w * (y * torch.log(p) - (1 - y) * torch.log(1 - p))).mean()
''', r"sign|same sign|negative", "second term subtracted"),
    Wrong(E1, '''
def answer(p, y, w):
    bce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    return bce * w.mean()
''', r"average weight|own weight", "averages the weights first"),
    Wrong(E1, '''
def answer(p, y, w):
    p = p.clamp(1e-4, 1 - 1e-4)
    return -(w * (y * torch.log(p) + (1 - y) * torch.log(1 - p))).mean()
''', r"clamp", "clamps p with a large epsilon"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 2: cross_entropy_lse(logits, target)

E2 = "cross_entropy_lse"

CROSS_ENTROPY_LSE = [
    Right(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (torch.logsumexp(logits, dim=1) - logits[rows, target]).mean()
''', "the solution"),
    Right(E2, '''
def answer(logits, target):
    """Same as F.cross_entropy / log_softmax + nll_loss, written with logsumexp."""
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return torch.mean(lse - picked)
''', "max trick by hand, gather, docstring names the forbidden functions"),
    Right(E2, '''
def answer(logits, target):
    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
    return F.nll_loss(log_probs, target)
''', "nll_loss on log-probabilities from logsumexp"),
    Right(E2, '''
def answer(logits, target):
    one_hot = F.one_hot(target, num_classes=logits.shape[1]).to(logits.dtype)
    log_probs = logits - torch.logsumexp(logits, 1, keepdim=True)
    return -(one_hot * log_probs).sum(dim=1).mean()
''', "one-hot with num_classes"),
    Wrong(E2, '''
def answer(logits, target):
    return F.cross_entropy(logits, target)
''', r"softmax|cross-entropy", "calls the library"),
    Wrong(E2, '''
from torch.nn.functional import log_softmax as lsm
def answer(logits, target):
    return -lsm(logits, dim=1)[torch.arange(len(target)), target].mean()
''', r"softmax", "log_softmax under an alias"),
    Wrong(E2, '''
def answer(logits, target):
    return F.nll_loss(logits, target)
''', r"nll_loss|raw logit|log-sum-exp", "nll_loss on raw logits"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (logits[rows, target] - torch.logsumexp(logits, dim=1)).mean()
''', r"minus|negative|sign", "missing minus"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (torch.logsumexp(logits, dim=1) - logits[rows, target]).sum()
''', r"sum|mean|average", "sum instead of mean"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (torch.log(logits.sum(dim=1)) - logits[rows, target]).mean()
''', r"exp", "forgot the exp"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (torch.exp(logits).sum(dim=1) - logits[rows, target]).mean()
''', r"log|overflow|inf", "forgot the log"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    lse = torch.log(torch.exp(logits).sum(dim=1))
    return (lse - logits[rows, target]).mean()
''', r"overflow|max|stab|inf|nan", "log-sum-exp without the max shift"),
    Wrong(E2, '''
def answer(logits, target):
    rows = torch.arange(len(target))
    return (torch.logsumexp(logits, dim=0)[target] - logits[rows, target]).mean()
''', r"dim|dimension", "logsumexp over the samples"),
    Wrong(E2, '''
def answer(logits, target):
    return (torch.logsumexp(logits, dim=1)[:, None] - logits[:, target]).mean()
''', r"index|column|row", "picks whole columns"),
    Wrong(E2, '''
def answer(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -(F.one_hot(target) * log_probs).sum(dim=1).mean()
''', r"num_classes", "F.one_hot without num_classes"),
    Wrong(E2, '''
def answer(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1)
    return -log_probs[torch.arange(len(target)), target].mean()
''', r"keepdim", "lost keepdim"),
    Wrong(E2, '''
def answer(logits, target):
    e = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
    p = e / e.max(dim=1, keepdim=True).values
    return -torch.log(p[torch.arange(len(target)), target]).mean()
''', r"sum|max|log-sum-exp", "divides by the max instead of the sum"),
    Right(E2, '''
def answer(logits, target):
    z = logits.double()
    return (z.logsumexp(dim=-1) - z[torch.arange(z.shape[0]), target]).mean()
''', "float64 result, dim=-1"),
    Wrong(E2, '''
def answer(logits, target):
    return (torch.logsumexp(logits, dim=1) - logits.max(dim=1).values).mean()
''', r"target|largest", "the max logit instead of the target's"),
    Wrong(E2, '''
def answer(logits, target):
    return -(logits - torch.logsumexp(logits, dim=1, keepdim=True)).mean()
''', r"every class|target class|column target", "averages every class's log-probability"),
    Wrong(E2, '''
def answer(logits, target):
    m = logits.max()
    lse = m + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[torch.arange(len(target)), target]).mean()
''', r"whole batch|own max|each row", "one global max"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 3: soft_ce_gradient(z, q)

E3 = "soft_ce_gradient"

SOFT_CE_GRADIENT = [
    Right(E3, '''
def answer(z, q):
    p = torch.softmax(z, dim=1)
    return (p - q) / len(z)
''', "the solution"),
    Right(E3, '''
def answer(z, q):
    """d/dz of F.cross_entropy(z, q): no backward() needed."""
    e = torch.exp(z - z.amax(dim=1, keepdim=True))
    p = e / e.sum(dim=1, keepdim=True)
    return (p - q) / z.shape[0]
''', "softmax by hand with the max shift; docstring mentions backward"),
    Right(E3, '''
def answer(z, q):
    n = z.size(0)
    return torch.exp(torch.log_softmax(z.double(), dim=-1)).sub(q.double()).div(n).float()
''', "float64, exp of log_softmax, dim=-1"),
    Wrong(E3, '''
def answer(z, q):
    z = z.clone().requires_grad_()
    F.cross_entropy(z, q).backward()
    return z.grad
''', r"autograd", "uses backward"),
    Wrong(E3, '''
def answer(z, q):
    g = torch.autograd.grad(F.cross_entropy(z.requires_grad_(), q), z)
    return g[0]
''', r"autograd|cross-entropy|changes", "autograd.grad"),
    Wrong(E3, '''
def answer(z, q):
    return torch.softmax(z, dim=1) - q
''', r"\bN\b|1/N|mean|scaled|factor", "forgot 1/N"),
    Wrong(E3, '''
def answer(z, q):
    return (q - torch.softmax(z, dim=1)) / len(z)
''', r"sign|opposite|flipped|negat", "sign flipped"),
    Wrong(E3, '''
def answer(z, q):
    return torch.softmax(z, dim=1) / len(z)
''', r"labels|minus|q", "forgot the labels"),
    Wrong(E3, '''
def answer(z, q):
    return (torch.log_softmax(z, dim=1) - q) / len(z)
''', r"log", "log-probabilities"),
    Wrong(E3, '''
def answer(z, q):
    e = torch.exp(z)
    return (e / e.max(dim=1, keepdim=True).values - q) / len(z)
''', r"max|sum", "divides by the max instead of the sum"),
    Wrong(E3, '''
def answer(z, q):
    return (torch.softmax(z, dim=0) - q) / len(z)
''', r"dim|dimension", "softmax over the samples"),
    Wrong(E3, '''
def answer(z, q):
    return (torch.softmax(z, dim=1) - q) / z.numel()
''', r"N·C|elements|scaled|factor|\bC\b", "divides by N*C"),
    Wrong(E3, '''
def answer(z, q):
    e = torch.exp(z)
    p = e / e.sum(dim=1, keepdim=True)
    return (p - q) / len(z)
''', r"overflow|nan|max|stab", "naive softmax overflows"),
    Wrong(E3, '''
def answer(z, q):
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    p = e / e.sum(dim=1)
    return (p - q) / len(z)
''', r"keepdim|shape|column", "lost keepdim in the sum"),
    Wrong(E3, '''
def answer(z, q):
    p = torch.softmax(z, dim=1)
    return (p - q).mean(dim=0)
''', r"shape|one row per|reduc|mean", "averages the rows away"),
    Wrong(E3, '''
def answer(z, q):
    return (torch.softmax(z, dim=1) - q) / z.shape[1]
''', r"classes|\bN\b", "divides by C"),
    Wrong(E3, '''
def answer(z, q):
    hard = F.one_hot(q.argmax(dim=1), num_classes=z.shape[1]).float()
    return (torch.softmax(z, dim=1) - hard) / len(z)
''', r"soft labels|one-hot|as given", "hard labels"),
    Wrong(E3, '''
def answer(z, q):
    g = (torch.softmax(z, dim=1) - q).mean(dim=0)
    return g.expand_as(z)
''', r"averaged|same|own gradient row", "averages over the samples"),
]

# --------------------------------------------------------------------------------------------------
# Exercise 4: predict_padding_loss (a value: (mean, total))

E4 = "predict_padding_loss"

PREDICT_PADDING_LOSS = [
    Right(E4, "answer = (math.log(4), 3 * math.log(4))", "exact expressions"),
    Right(E4, "answer = [1.386, 4.159]", "a list of rounded numbers"),
    Right(E4, "answer = (torch.tensor(4.).log(), torch.tensor(64.).log())", "two 0-d tensors"),
    Right(E4, "answer = torch.tensor([1.3863, 4.1589])", "a tensor"),
    Wrong(E4, "answer = (3 * math.log(4) / 6, 3 * math.log(4))", r"6 positions|ignore_index|denominator|divides",
          "padding counted in the mean"),
    Wrong(E4, "answer = (math.log(4), 6 * math.log(4))", r"padd|real tokens|contribute", "padding counted as a loss"),
    Wrong(E4, "answer = (math.log(3), 3 * math.log(3))", r"dim 1|last dimension|classes", "classes from the last dim"),
    Wrong(E4, "answer = (0.0, 0.0)", r"1/C|same probability|equal logits", "zero logits, zero loss"),
    Wrong(E4, "answer = (3 * math.log(4), math.log(4))", r"order|swapped", "mean and sum swapped"),
    Wrong(E4, "answer = (0.25, 0.75)", r"mean|total|not what", "probabilities instead of losses"),
    Wrong(E4, "answer = (-math.log(4), -3 * math.log(4))", r"mean|total|sign|negative|not what", "negative log"),
    Wrong(E4, "answer = 1.386", r"two numbers", "only one number"),
    Wrong(E4, "answer = (math.log(4), math.log(4))", r"total|sum", "sum equal to mean"),
    Wrong(E4, "answer = (2, 6)", r"base 2|bits|natural", "log base 2"),
    Wrong(E4, "answer = (math.log(3) * 3 / 6, 3 * math.log(3))", r"dim 1|last dimension|classes",
          "both mistakes: classes last and padding counted"),
]

ENTRIES = WEIGHTED_BCE + CROSS_ENTROPY_LSE + SOFT_CE_GRADIENT + PREDICT_PADDING_LOSS
