"""pandas + PyTorch peer of bench/tabular.ts: the same CSV, the same preprocessing (a 10 % validation
split taken from the end as Keras's validation_split does; median fill of hours_per_week, standardize
the 6 numeric columns, and for the 8 categorical columns a vocabulary of the training split's values
by frequency with column 0 for out-of-vocabulary values, one-hot), fitted on the training rows only;
then the same model (72 inputs, Linear 64 + ReLU, Linear 2, cross-entropy, Adam lr 1e-3, batch 128,
shuffled) for one epoch. Prints one JSON line with the two times in seconds, wall and CPU (process_time:
every thread of the process)."""
import argparse, json, time
import numpy as np
import pandas as pd
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--csv", required=True)
p.add_argument("--threads", type=int, default=1)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
MAX_TOKENS = {"workclass": 8, "education": 11, "marital_status": 7, "occupation": 13, "relationship": 7, "race": 6, "sex": 3, "native_country": 11}

t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(args.csv, keep_default_na=True)
n = len(df)
n_train = n - round(0.1 * n)
train = df.iloc[:n_train]
parts = []
for c in NUMERIC:
    col = df[c].astype("float64")
    if c == "hours_per_week":
        col = col.fillna(train[c].median())
    tr = col.iloc[:n_train]
    sd = tr.std(ddof=0)
    parts.append(((col - tr.mean()) / (sd if sd > 1e-7 else 1.0)).to_numpy(np.float32)[:, None])
for c, k in MAX_TOKENS.items():
    counts = train[c].value_counts()
    vocab = sorted(counts.index, key=lambda v: (-counts[v], v))[: k - 1]
    ids = df[c].map({v: i + 1 for i, v in enumerate(vocab)}).fillna(0).astype(np.int64).to_numpy()
    hot = np.zeros((n, k), np.float32)
    hot[np.arange(n), ids] = 1
    parts.append(hot)
x = np.concatenate(parts, axis=1)[:n_train]
y = (df["income"].iloc[:n_train] == ">50K").astype(np.int64).to_numpy()
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
t1, c1 = time.perf_counter(), time.process_time()

model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
order = torch.randperm(n_train)
for s in range(0, n_train, 128):
    idx = order[s : s + 128]
    opt.zero_grad()
    loss = loss_fn(model(xt[idx]), yt[idx])
    loss.backward()
    opt.step()
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"inputs": int(x.shape[1]), "trainRows": n_train, "params": sum(p.numel() for p in model.parameters()), "threads": args.threads, "preprocessSeconds": t1 - t0, "epochSeconds": t2 - t1, "preprocessCpuSeconds": c1 - c0, "epochCpuSeconds": c2 - c1, "pandas": pd.__version__, "torch": torch.__version__}))
