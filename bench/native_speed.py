"""PyTorch peer of bench/native_speed.ts: the same mnist_cnn or fashion_cnn (pipelines/*.dlp),
batch 128, Adam, cross-entropy, on synthetic inputs, training mode (dropout on).
Run with OMP_WAIT_POLICY=passive (OpenMP's spinning slows a shared machine) and
libopenblas0-pthread installed (Debian's reference BLAS is not a fair peer).
Usage: OMP_WAIT_POLICY=passive /usr/bin/python3 bench/native_speed.py --model fashion_cnn --threads 2
Prints one JSON line: {"model", "threads", "samplesPerSecond", "rssMiB", "torch"}."""
import argparse, json, resource, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--model", default="mnist_cnn", choices=["mnist_cnn", "fashion_cnn"])
p.add_argument("--samples", type=int, default=1280)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)]

if args.model == "mnist_cnn":
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128),
        nn.Flatten(), nn.Linear(128 * 3 * 3, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
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
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"model": args.model, "threads": args.threads, "samplesPerSecond": round(n / dt, 1), "rssMiB": rss, "torch": torch.__version__}))
