"""PyTorch peer of bench/train_speed.ts: the same mnist_cnn, batch 128, Adam, 2 threads.
Prints one JSON line: {"samplesPerSecond": ..., "torch": version}."""
import argparse, json, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--samples", type=int, default=2560)
args = p.parse_args()
torch.set_num_threads(2)
torch.manual_seed(1)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()  # softmax + categorical cross-entropy, as the tfjs model
n = args.samples
x = torch.rand(n, 1, 28, 28)
y = torch.arange(n) % 10

def epoch(count):
    for s in range(0, count, 128):
        opt.zero_grad()
        loss = loss_fn(model(x[s:s + 128]), y[s:s + 128])
        loss.backward()
        opt.step()
        float(loss)

epoch(256)  # warm-up
t0 = time.perf_counter()
epoch(n)
dt = time.perf_counter() - t0
print(json.dumps({"samplesPerSecond": round(n / dt, 1), "torch": torch.__version__}))
