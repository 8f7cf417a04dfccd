# The seed tutorial's steps (PyTorch Loss Computation), as a user types them.
import torch

x = torch.tensor(1.0, requires_grad=True)
y = torch.tensor(2.0)
z = x * y
print(z, z.grad_fn.name(), x.is_leaf, z.is_leaf, y.requires_grad)
z.backward()
print(x.grad, y.grad)

x = torch.tensor([0.0, 2.0, 8.0], requires_grad=True)
y = torch.tensor([5.0, 1.0, 7.0], requires_grad=True)
z = x * y
try:
    z.backward()
except RuntimeError as e:
    print("RuntimeError:", e)
z.backward(torch.FloatTensor([1.0, 1.0, 1.0]))
print(x.grad, y.grad)

with torch.no_grad():
    w = x * 2
print(w.requires_grad, w.grad_fn, x.detach().requires_grad)

torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
data = torch.randn(8, 3)
target = data.sum(1, keepdim=True)
for step in range(5):
    loss = torch.nn.functional.mse_loss(model(data), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item(), loss.grad_fn)
print(model.weight, model.bias)
