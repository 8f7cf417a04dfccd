"""The tutorial retrograd started from, run with ``import retrograd as torch``.

Walks through "How backpropagation works in PyTorch" (shared/seed/pytorch-loss-computation.txt):
the members of each tensor, no_grad, backward with and without an external gradient, its error,
the Jacobian-vector product, and the five steps of training with a dynamic graph.
Run: ``python examples/seed_walkthrough.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import retrograd as torch  # noqa: E402


def section(title: str) -> None:
    print(f"\n=== {title} ===")


section("A graph of two tensors: z = x * y")
x = torch.tensor(1.0, requires_grad=True)
y = torch.tensor(2.0)
z = x * y
for i, name in zip([x, y, z], "xyz"):
    print(f"{name}\ndata: {i.data}\nrequires_grad: {i.requires_grad}\n"
          f"grad: {i.grad if i.is_leaf else None}\ngrad_fn: {i.grad_fn}\nis_leaf: {i.is_leaf}\n")

section("no_grad: stop tracking")
x = torch.tensor(1.0, requires_grad=True)
print(x.requires_grad)          # True
y = x * 2
print(y.requires_grad)          # True
with torch.no_grad():
    y = x * 2
    print(y.requires_grad)      # False

section("backward(): dz/dx for z = x ** 3 at x = 1")
x = torch.tensor(1.0, requires_grad=True)
z = x ** 3
z.backward()
print(x.grad.data)              # tensor(3.)

section("A non-scalar output needs an external gradient")
x = torch.tensor([0.0, 2.0, 8.0], requires_grad=True)
y = torch.tensor([5.0, 1.0, 7.0], requires_grad=True)
z = x * y
try:
    z.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
z.backward(torch.FloatTensor([1.0, 1.0, 1.0]))
print("x.grad =", x.grad)       # y
print("y.grad =", y.grad)       # x

section("backward(v) is the vector-Jacobian product v^T J")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
f = torch.stack([x[0] * x[1], x[1] ** 2, x[2].sin()])
v = torch.tensor([1.0, 0.5, -1.0])
f.backward(v)
print("v^T J =", x.grad)

section("The five steps of training, the graph rebuilt every iteration")
torch.manual_seed(0)
inputs = torch.linspace(-1, 1, 16).reshape(16, 1)
targets = 3 * inputs - 0.5
w = torch.zeros(1, 1, requires_grad=True)          # 1. the model: y = x @ w + b
b = torch.zeros(1, requires_grad=True)
learning_rate = 0.5
for step in range(6):
    prediction = inputs @ w + b                     # 2. forward
    loss = ((prediction - targets) ** 2).mean()     # 3. loss
    loss.backward()                                 # 4. backward
    with torch.no_grad():                           # 5. update with a learning rate
        w -= learning_rate * w.grad
        b -= learning_rate * b.grad
    w.grad = None
    b.grad = None
    print(f"step {step}: loss {loss.item():.5f}  grad_fn {loss.grad_fn.name()}")
print("w =", w.detach(), " b =", b.detach())
