"""PyTorch peer of bench/train_speed.ts: the same model as pipelines/<model>.dlp, the same batch
size and optimizer, random data of the same shapes, `--warmup` batches then `--batches` timed ones.
Run it with OMP_WAIT_POLICY=passive (bench/train_speed.ts does): OpenMP's default spinning makes
a 2-thread run 2-3x slower on a machine whose other core is busy.
Prints one JSON line: {"samplesPerSecond": ..., "threads": ..., "peakRssMiB": ..., "torch": version}.
--profile adds "ops": the `--top` costliest operators by self CPU time per step (torch.profiler,
ms and calls per step), to compare op by op with bench/kernel_profile.ts (the profiler's own
bookkeeping slows the timed steps: read samplesPerSecond from a run without it)."""
import argparse, json, resource, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["mnist_cnn", "fashion_cnn", "imdb_conv1d"], default="mnist_cnn")
p.add_argument("--batch", type=int, default=128)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--batches", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--profile", action="store_true")
p.add_argument("--top", type=int, default=15)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)


def conv_block(cin, f, drop):
    # conv2d(f, 3, padding: same, activation: relu) twice, max_pool(2), dropout(drop)
    return [nn.Conv2d(cin, f, 3, padding=1), nn.ReLU(), nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(drop)]


class GlobalAvgPool1d(nn.Module):
    def forward(self, x):
        return x.mean(dim=2)


class Transpose12(nn.Module):  # [N, L, C] embeddings -> [N, C, L] for Conv1d
    def forward(self, x):
        return x.transpose(1, 2)


n_batch = args.batch
if args.model == "mnist_cnn":
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy, as the dlp model's softmax + loss
    make = lambda: (torch.rand(n_batch, 1, 28, 28), torch.randint(0, 10, (n_batch,)))
elif args.model == "fashion_cnn":
    model = nn.Sequential(
        *conv_block(1, 32, 0.25), *conv_block(32, 64, 0.25), *conv_block(64, 128, 0.25),
        nn.Flatten(), nn.Linear(128 * 3 * 3, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    make = lambda: (torch.rand(n_batch, 1, 28, 28), torch.randint(0, 10, (n_batch,)))
else:
    model = nn.Sequential(
        nn.Embedding(10000, 64), Transpose12(),
        nn.Conv1d(64, 32, 7), nn.ReLU(), nn.MaxPool1d(5),
        nn.Conv1d(32, 32, 7), nn.ReLU(), GlobalAvgPool1d(),
        nn.Linear(32, 1),
    )
    # Keras' RMSprop (rho 0.9, epsilon 1e-7), as the dlp runtime's
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    bce = nn.BCEWithLogitsLoss()  # sigmoid + binary cross-entropy
    loss_fn = lambda out, y: bce(out.squeeze(1), y)
    make = lambda: (torch.randint(0, 10000, (n_batch, 500)), torch.randint(0, 2, (n_batch,)).float())

params = sum(p.numel() for p in model.parameters())
data = [make() for _ in range(args.warmup + args.batches)]
model.train()


def step(x, y):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return float(loss)


for x, y in data[:args.warmup]:
    step(x, y)
ops = None
if args.profile:
    from torch.profiler import ProfilerActivity, profile
    prof = profile(activities=[ProfilerActivity.CPU])
    prof.__enter__()
t0 = time.perf_counter()
for x, y in data[args.warmup:]:
    step(x, y)
dt = time.perf_counter() - t0
if args.profile:
    prof.__exit__(None, None, None)
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:args.top]
    ops = {e.key: {"ms": round(e.self_cpu_time_total / 1000 / args.batches, 2), "calls": round(e.count / args.batches, 1)} for e in rows}
out = {
    "samplesPerSecond": round(args.batches * n_batch / dt, 1), "threads": args.threads, "params": params,
    "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "torch": torch.__version__,
}
if ops is not None:
    out["stepMs"] = round(dt * 1000 / args.batches, 1)
    out["ops"] = ops
print(json.dumps(out))
