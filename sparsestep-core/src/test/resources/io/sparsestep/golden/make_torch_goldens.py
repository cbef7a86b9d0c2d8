#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that the *TorchGoldenTest classes compare against.

Run with Debian's CPU torch (1.13):

    apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 src/test/resources/io/sparsestep/golden/make_torch_goldens.py

It rewrites sgd.json, lenet5.json and batchnorm.json beside itself; the Java tests read only
those files, never torch. The output is deterministic: running it again gives the same bytes.

Number format: every float is a float32 value written as the repr of the double holding it
(what json writes for a Python float), so parsing it as a double and narrowing to float
gives back the float32 bits exactly.

Tensors too large to store (LeNet-5 has 431K parameters) are not stored. Weights and inputs
are *generated* by `uniform` below, which the Java side (io.sparsestep.golden.TorchGolden)
reproduces bit for bit; large gradients are stored as a fixed random sample of their
elements plus three sums over all of them.
"""
import os

# torch's AVX2 kernels fuse `a + alpha*b` into one FMA; the portable kernels round the
# product and then the sum, the arithmetic sparsestep's CPU SGD does (it never fuses), so
# only these make a bitwise comparison meaningful. Must be set before torch is imported.
os.environ["ATEN_CPU_CAPABILITY"] = "default"

import json
import pathlib
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
MASK32 = 0xFFFFFFFF
PROBE_SEED = 999  # generator seed of the weights of the gradients' "probe" sum
SAMPLE_SIZE = 512  # elements stored of a gradient too large to store whole
STORE_WHOLE = 1024  # tensors up to this many elements are stored whole


# ----------------------------------------------------------------------------- exact data

def mix32(x):
    """murmur3's 32-bit finaliser on a uint64 array holding values below 2^32."""
    x = x & MASK32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & MASK32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & MASK32
    x ^= x >> 16
    return x


def uniform(seed, n, scale):
    """n float32 values in [-scale, scale): (h >> 8) - 2^23 over 2^23, h = mix32(seed*0x9E3779B9 + i).

    A 24-bit integer over a power of two, times a power-of-two scale: exact in float32, so
    Java rebuilds the same bits with int arithmetic."""
    assert scale > 0 and np.log2(scale) == round(np.log2(scale)), "scale must be a power of two"
    i = np.arange(n, dtype=np.uint64)
    h = mix32((np.uint64(seed * 0x9E3779B9 & MASK32) + i) & MASK32)
    return (((h >> 8).astype(np.float64) - 2.0 ** 23) / 2.0 ** 23 * scale).astype(np.float32)


def generated(seed, shape, scale):
    values = uniform(seed, int(np.prod(shape)), scale)
    # the sum lets the Java side check its generator before it trusts any comparison
    return {"shape": list(shape), "generator": {"seed": seed, "scale": scale},
            "sum": float(values.astype(np.float64).sum())}, values.reshape(shape)


def floats(t):
    a = np.asarray(t.detach().numpy() if torch.is_tensor(t) else t)
    assert a.dtype == np.float32, a.dtype
    return a.reshape(-1).astype(np.float64).tolist()


def whole(t):
    return {"shape": list(t.shape), "data": floats(t)}


def whole_or_sampled(t, rng):
    """The whole tensor when small; else a fixed sample of its elements and three sums."""
    if t.numel() <= STORE_WHOLE:
        return whole(t)
    flat = t.detach().numpy().reshape(-1)
    index = np.sort(rng.choice(flat.size, SAMPLE_SIZE, replace=False))
    f64 = flat.astype(np.float64)
    probe = uniform(PROBE_SEED, flat.size, 1.0).astype(np.float64)
    return {"shape": list(t.shape), "sample_index": index.tolist(), "sample": floats(flat[index]),
            "abs_max": float(np.abs(f64).max()), "sum": float(f64.sum()), "abs_sum": float(np.abs(f64).sum()),
            "probe_sum": float((probe * f64).sum())}


def write(name, obj):
    path = HERE / name
    path.write_text(dump(obj) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def dump(obj, indent=0):
    """JSON with one line per key and number lists kept on one line (small, diffable files)."""
    pad = " " * indent
    flat = json.dumps(obj, separators=(",", ":"))
    if isinstance(obj, dict) and len(flat) <= 100:  # a small record reads best on one line
        return pad + json.dumps(obj, separators=(", ", ": "))
    if isinstance(obj, dict):
        items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1).lstrip()}' for k, v in obj.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        return pad + "[\n" + ",\n".join(dump(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return pad + flat


def provenance(what):
    capability = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
    assert capability == ["NO AVX"], capability
    return {"about": what, "made_by": "make_torch_goldens.py (beside this file)", "torch": torch.__version__,
            "cpu_capability": capability[0]}


# ----------------------------------------------------------------------------- SGD

SGD_CASES = [
    dict(name="plain", lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(name="weight_decay", lr=0.05, momentum=0.0, dampening=0.0, weight_decay=0.01, nesterov=False),
    dict(name="momentum", lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(name="momentum_dampening_weight_decay", lr=0.1, momentum=0.9, dampening=0.3, weight_decay=1e-3, nesterov=False),
    dict(name="full_dampening", lr=0.2, momentum=0.5, dampening=1.0, weight_decay=0.0, nesterov=False),
    dict(name="nesterov_weight_decay", lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4, nesterov=True),
]
# The lr of step k is lr * LR_FACTORS[k], computed in double as Sgd.step(lrFactor) does.
LR_FACTORS = [1.0, 1.0, 0.5, 0.5, 0.1]
# 37 = 2*16 + 5: vector body and scalar tail for every lane count up to 16; 5 < every lane count.
SGD_SIZES = OrderedDict(weight=37, bias=5)


def sgd_fixture():
    cases = []
    for k, case in enumerate(SGD_CASES):
        g = torch.Generator().manual_seed(1000 + k)
        params = OrderedDict((name, torch.randn(n, generator=g).requires_grad_()) for name, n in SGD_SIZES.items())
        settings = {key: case[key] for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov")}
        opt = torch.optim.SGD(params.values(), **settings)
        record = dict(case, lr_factors=LR_FACTORS, initial={n: floats(p) for n, p in params.items()}, steps=[])
        for step, factor in enumerate(LR_FACTORS):
            for group in opt.param_groups:
                group["lr"] = case["lr"] * factor
            for p in params.values():
                # gradients of varying size and sign, some exactly zero
                grad = torch.randn(p.shape, generator=g) * (0.5 + step)
                grad[::7] = 0
                p.grad = grad
            grads = {n: floats(p.grad) for n, p in params.items()}
            opt.step()
            entry = {"grad": grads, "param": {n: floats(p) for n, p in params.items()}}
            if case["momentum"] != 0:
                entry["momentum_buffer"] = {n: floats(opt.state[p]["momentum_buffer"]) for n, p in params.items()}
            record["steps"].append(entry)
        cases.append(record)
    fixture = provenance("torch.optim.SGD (float32, foreach off) over several steps; the lr of step k is "
                         "lr * lr_factors[k]. Each step lists the gradient it was given, then the parameters "
                         "and momentum buffer after it.")
    fixture["cases"] = cases
    return fixture


# ----------------------------------------------------------------------------- LeNet-5

BATCH = 3
CLASSES = 10
LABELS = [3, 7, 0]
# Models.lenet5: Caffe's 20-50-500 LeNet-5, no padding, 2x2/2 max pools, NCHW flatten.
LENET_LAYERS = [
    ("conv1", lambda: torch.nn.Conv2d(1, 20, 5)), ("relu1", torch.nn.ReLU), ("pool1", lambda: torch.nn.MaxPool2d(2, 2)),
    ("conv2", lambda: torch.nn.Conv2d(20, 50, 5)), ("relu2", torch.nn.ReLU), ("pool2", lambda: torch.nn.MaxPool2d(2, 2)),
    ("flatten", torch.nn.Flatten),
    ("fc1", lambda: torch.nn.Linear(800, 500)), ("relu3", torch.nn.ReLU),
    ("fc2", lambda: torch.nn.Linear(500, CLASSES)),
]
# Uniform scales (powers of two) near 1/sqrt(fan-in), so activations stay of order one.
LENET_SCALES = {"conv1.weight": 0.25, "conv1.bias": 0.125, "conv2.weight": 0.0625, "conv2.bias": 0.0625,
                "fc1.weight": 0.0625, "fc1.bias": 0.0625, "fc2.weight": 0.0625, "fc2.bias": 0.0625}
# No pre-activation may lie within this fraction of its layer's largest magnitude from zero,
# and no max-pool window may have its two largest values that close: float32 rounding
# (about 1e-7 relative here) could then flip a ReLU or move a max between the two
# implementations, which changes gradients by far more than any tolerance.
KINK_MARGIN = 1e-5


def lenet5():
    model = torch.nn.Sequential(OrderedDict((name, make()) for name, make in LENET_LAYERS))
    specs, values = OrderedDict(), {}
    for k, (name, p) in enumerate(model.named_parameters()):
        specs[name], values[name] = generated(100 + k, p.shape, LENET_SCALES[name])
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(values[name]))
    return model, specs


def kink_margin(model, x):
    """Smallest distance, relative to the layer's scale, of a ReLU input from 0 or of a pool max from the runner-up."""
    worst = float("inf")
    for name, layer in model.named_children():
        if isinstance(layer, torch.nn.ReLU):
            worst = min(worst, float(x.abs().min() / x.abs().max()))
        if isinstance(layer, torch.nn.MaxPool2d):
            n, c, h, w = x.shape
            windows = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(-1, 4)
            top = windows.sort(dim=1, descending=True).values
            live = top[:, 0] > 0  # a window of zeros passes no gradient through the ReLU before it
            worst = min(worst, float(((top[:, 0] - top[:, 1])[live]).min() / x.abs().max()))
        x = layer(x)
    return worst


def lenet5_fixture():
    model, specs = lenet5()
    # the first input seed whose float64 forward pass keeps clear of every kink
    for input_seed in range(1, 1000):
        input_spec, x = generated(input_seed, (BATCH, 1, 28, 28), 1.0)
        x = torch.from_numpy(x)
        margin = kink_margin(model.double(), x.double())
        if margin >= KINK_MARGIN:
            break
    else:
        raise RuntimeError("no input seed keeps clear of the kinks")
    labels = torch.tensor(LABELS)

    def run(dtype):
        model.to(dtype).zero_grad()
        logits = model(x.to(dtype))
        loss = F.cross_entropy(logits, labels, reduction="mean")
        loss.backward()
        return logits.detach(), loss.detach(), OrderedDict((n, p.grad.detach().clone()) for n, p in model.named_parameters())

    logits64, loss64, grads64 = run(torch.float64)
    logits, loss, grads = run(torch.float32)

    def rounding(a, b):  # float32 result against the float64 one, relative to the largest magnitude
        return float((a.double() - b).abs().max() / b.abs().max())

    rng = np.random.default_rng(5)
    fixture = provenance("LeNet-5 as Models.create(\"lenet5\", [1,28,28], 10) builds it, with generated weights, "
                         "on one batch: logits, mean cross-entropy loss and every parameter gradient.")
    fixture.update({
        "model": "lenet5", "sample_shape": [1, 28, 28], "classes": CLASSES, "batch": BATCH,
        "input": input_spec, "labels": LABELS, "params": specs,
        "logits": whole(logits), "loss": float(loss.item()),
        "grads": OrderedDict((n, whole_or_sampled(g, rng)) for n, g in grads.items()),
        "kink_margin": margin,
        "float32_vs_float64": OrderedDict([("logits", rounding(logits, logits64))]
                                          + [(n, rounding(grads[n], grads64[n])) for n in grads]),
    })
    return fixture


# ----------------------------------------------------------------------------- batch norm

def batchnorm_case(name, module, sample_shape, batch, seed):
    """Two training passes, the backward of the second, and an evaluation pass with given running statistics."""
    g = torch.Generator().manual_seed(seed)
    c = sample_shape[0]
    per_channel = (1, c) + (1,) * (len(sample_shape) - 1)
    shift = (torch.randn(c, generator=g) * 2).reshape(per_channel)
    spread = (torch.rand(c, generator=g) * 3 + 0.5).reshape(per_channel)

    def data():  # channels with their own mean and spread, so the statistics are not trivial
        return torch.randn((batch,) + tuple(sample_shape), generator=g) * spread + shift

    with torch.no_grad():
        module.weight.copy_(torch.randn(c, generator=g) * 0.5 + 1)
        module.bias.copy_(torch.randn(c, generator=g) * 0.5)
    case = {"name": name, "module": type(module).__name__, "sample_shape": list(sample_shape), "batch": batch,
            "eps": module.eps, "momentum": module.momentum, "weight": floats(module.weight), "bias": floats(module.bias),
            "initial_running_mean": floats(module.running_mean), "initial_running_var": floats(module.running_var),
            "train": []}
    module.train()
    for k in range(2):
        x = data().requires_grad_()
        y = module(x)
        case["train"].append({"x": floats(x), "y": floats(y), "running_mean": floats(module.running_mean),
                              "running_var": floats(module.running_var)})
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)  # the layer's backward reads what its last forward saved
    case["backward"] = {"dy": floats(dy), "dx": floats(x.grad), "dweight": floats(module.weight.grad),
                        "dbias": floats(module.bias.grad)}
    module.eval()
    with torch.no_grad():
        module.running_mean.copy_(torch.randn(c, generator=g))
        module.running_var.copy_(torch.rand(c, generator=g) * 2 + 0.1)
        x = data()
        case["eval"] = {"running_mean": floats(module.running_mean), "running_var": floats(module.running_var),
                        "x": floats(x), "y": floats(module(x))}
    return case


def batchnorm_fixture():
    fixture = provenance("torch.nn.BatchNorm2d/1d with default eps and momentum: per training pass the input, "
                         "output and running statistics after it (running_var unbiased, normalisation biased), "
                         "the backward of the second pass, and an evaluation pass with the running statistics given.")
    fixture["cases"] = [
        batchnorm_case("batchnorm2d", torch.nn.BatchNorm2d(3), (3, 4, 5), 4, 7),
        batchnorm_case("batchnorm1d", torch.nn.BatchNorm1d(6), (6,), 8, 8),
    ]
    return fixture


if __name__ == "__main__":
    torch.set_num_threads(1)  # one summation order, so a rerun writes the same bytes
    write("sgd.json", sgd_fixture())
    write("lenet5.json", lenet5_fixture())
    write("batchnorm.json", batchnorm_fixture())
