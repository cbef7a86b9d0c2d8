#!/usr/bin/env python3
"""PyTorch side of the sparsestep benchmark: the peer a sparsestep user would otherwise reach for.

--device cuda (the default) times, on the GPU, one optimizer step over the same parameter
counts the Java suite uses (flat buffers of 1M, 16M, 64M and 256M parameters) and over the
parameter shape lists of ResNet-50 and VGG-16 (ImageNet, as torchvision builds them).
--device cpu times the same optimizer steps on the CPU (flat 1M, 16M, 64M: the Java CPU
suite's sizes) with --threads intra-op and inter-op threads, and full training steps:

  grda_loop             gRDA as a per-tensor Python optimizer does it: a loop over the
                        tensors with several elementwise kernels each, written from the
                        update rule (docs: /work/shared/reference/ALGORITHMS.md section 1)
  sgd_momentum_fused    torch.optim.SGD(momentum=0.9, fused=True) (GPU only; torch >= 2)
  sgd_momentum_foreach  torch.optim.SGD(momentum=0.9, foreach=True)
  copy                  one copy of all parameters into a second buffer (the bandwidth baseline)
  topk                  GSM's threshold as the authors' code finds it every step (flat
                        workloads): torch.topk(torch.abs(g * w), Q) with Q = int(0.05 * N)
                        (floored, as GSM floors); the Java suite's "select" row is the radix
                        select of the same k-th largest |g*w|, and `sparsestep bench --pytorch`
                        compares the two
  train_sgd_momentum    on the train-<model> workloads: one full training step at --batch
                        (zero_grad(set_to_none=True), forward, cross-entropy, backward,
                        torch.optim.SGD(momentum=0.9, foreach=True).step()) of sparsestep's own
                        model definitions (io.sparsestep.nn.Models: LeNet-300-100 and LeNet-5
                        on 1x28x28, ResNet-20 with 1x1 projection shortcuts and the batch-norm
                        CIFAR VGG-16 on 3x32x32, 10 classes), one synthetic batch made once

Timing: a window of --steps steps (on the CPU at least --min-window-ms long) after --warmup
steps, repeated --repeats times; the median window divided by its steps is the time per
step. CUDA events on the GPU, time.perf_counter on the CPU. Writes DIR/pytorch.json (read by
`sparsestep bench --pytorch DIR/pytorch.json`) and DIR/pytorch.md.

Usage: python3 bench/pytorch/bench_pytorch.py --out DIR                      (GPU)
       python3 bench/pytorch/bench_pytorch.py --device cpu --threads 2 --out DIR
No network access is needed; torchvision is not used (the shape lists and models are built here).
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time

MIB = 1 << 20
FLAT_SIZES = {"flat-1M": 1 * MIB, "flat-16M": 16 * MIB, "flat-64M": 64 * MIB, "flat-256M": 256 * MIB}
# fp32 bytes per parameter that each method must move at the least (each operand read or
# written once); the per-tensor gRDA loop moves far more, which is what the figure shows
NOMINAL_BYTES = {"copy": 8, "grda_loop": 16, "sgd_momentum_fused": 20, "sgd_momentum_foreach": 20, "topk": 8}
OPT_METHODS = ["copy", "grda_loop", "sgd_momentum_fused", "sgd_momentum_foreach", "topk"]
TRAIN_METHODS = ["train_sgd_momentum"]
METHODS = OPT_METHODS + TRAIN_METHODS
# GSM's kept fraction for the topk row (20x, the ratio); Q = int(TOPK_KEEP * N) floors
TOPK_KEEP = 0.05

# gRDA and SGD settings: the values do not change the work per step
GRDA_LR, GRDA_C, GRDA_MU = 0.01, 0.0005, 0.6
SGD_LR, SGD_MOMENTUM = 0.01, 0.9

# sparsestep's models (io.sparsestep.nn.Models) with the input TrainStepFixture gives them and
# their parameter count as sparsestep counts it (NetworkTest, ModelCostTest): weights, biases
# and batch-norm scale and shift. A definition here that drifts from the Java one fails the run.
CLASSES = 10
TRAIN_PREFIX = "train-"
MODELS = {"lenet300": ((1, 28, 28), 266_610), "lenet5": ((1, 28, 28), 431_080),
          "resnet20": ((3, 32, 32), 272_474), "vgg16": ((3, 32, 32), 14_724_042)}

# What each device runs when --workloads / --methods / timing options are not given. The CPU
# sizes are the Java CPU suite's (1M, 16M, 64M); the CPU has no fused SGD in torch 1.x. A CPU
# window is at least --min-window-ms long, so a 0.1 ms step is not timed over 0.5 ms windows.
DEFAULTS = {
    "cuda": {"workloads": list(FLAT_SIZES) + ["resnet50", "vgg16"], "methods": OPT_METHODS,
             "warmup": 5, "steps": 20, "repeats": 7, "min_window_ms": 0.0},
    "cpu": {"workloads": ["flat-1M", "flat-16M", "flat-64M"] + [TRAIN_PREFIX + m for m in MODELS],
            "methods": ["copy", "grda_loop", "sgd_momentum_foreach", "topk", "train_sgd_momentum"],
            "warmup": 3, "steps": 5, "repeats": 5, "min_window_ms": 250.0},
}


# --------------------------------------------------------------------------- shape lists

def resnet50_shapes(classes=1000):
    """Parameter shapes of ResNet-50 (He et al. 2016) in torchvision's layout: 161 tensors."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]  # stem conv, bn weight, bn bias
    inplanes = 64
    for width, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        out = width * 4
        for b in range(blocks):
            shapes += [(width, inplanes, 1, 1), (width,), (width,),
                       (width, width, 3, 3), (width,), (width,),
                       (out, width, 1, 1), (out,), (out,)]
            if b == 0:  # projection shortcut on the first block of each stage
                shapes += [(out, inplanes, 1, 1), (out,), (out,)]
            inplanes = out
    shapes += [(classes, 2048), (classes,)]
    return shapes


def vgg16_shapes(classes=1000):
    """Parameter shapes of VGG-16 (configuration D, no batch norm) as torchvision builds it: 32 tensors."""
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    shapes, c = [], 3
    for v in cfg:
        if v == "M":
            continue
        shapes += [(v, c, 3, 3), (v,)]
        c = v
    shapes += [(4096, 512 * 7 * 7), (4096,), (4096, 4096), (4096,), (classes, 4096), (classes,)]
    return shapes


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def workloads(selected):
    """name -> list of shapes (optimizer workloads) or a model id (train-<model> workloads).

    Shape-list totals are checked against the published parameter counts."""
    out = {}
    for name, n in FLAT_SIZES.items():
        out[name] = [(n,)]
    out["resnet50"] = resnet50_shapes()
    out["vgg16"] = vgg16_shapes()
    expected = {"resnet50": (25_557_032, 161), "vgg16": (138_357_544, 32)}
    for name, (total, tensors) in expected.items():
        got = sum(numel(s) for s in out[name])
        if got != total or len(out[name]) != tensors:
            raise AssertionError(f"{name} shape list has {got} parameters in {len(out[name])} tensors, "
                                 f"expected {total} in {tensors}")
    for model in MODELS:
        out[TRAIN_PREFIX + model] = model
    unknown = [w for w in selected if w not in out]
    if unknown:
        raise SystemExit(f"bench_pytorch: unknown workload(s) {unknown}; choose from {sorted(out)}")
    return {k: out[k] for k in selected}


# --------------------------------------------------------------------------- sparsestep's models

def build_model(torch, model_id, classes=CLASSES):
    """The torch twin of io.sparsestep.nn.Models.create(model_id, input, classes).

    Same layers, widths, kernels, strides, paddings, bias flags, batch norm (eps 1e-5,
    momentum 0.1), pooling and classifier; default torch initialisation (the values do not
    change the work). ReLUs are in place, as torchvision writes them."""
    nn = torch.nn
    if model_id == "lenet300":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(inplace=True),
                             nn.Linear(300, 100), nn.ReLU(inplace=True), nn.Linear(100, classes))
    if model_id == "lenet5":  # Caffe's 20-50-500: 28 -> 24 -> 12 -> 8 -> 4
        return nn.Sequential(nn.Conv2d(1, 20, 5, 1, 0, bias=True), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
                             nn.Conv2d(20, 50, 5, 1, 0, bias=True), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
                             nn.Flatten(), nn.Linear(50 * 4 * 4, 500), nn.ReLU(inplace=True), nn.Linear(500, classes))
    if model_id == "vgg16":
        return vgg16_cifar(torch, classes)
    if model_id == "resnet20":
        return cifar_resnet(torch, 20, classes)
    raise ValueError(f"no torch twin of sparsestep model '{model_id}'")


def vgg16_cifar(torch, classes, size=32):
    """Models.vgg16: 13 conv 3x3 (no bias) + BN + ReLU, 2x2 max pools while the plane is >= 2, GAP, one linear."""
    nn = torch.nn
    cfg = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]
    layers, c = [], 3
    for v in cfg:
        if v == 0:
            if size >= 2:
                layers.append(nn.MaxPool2d(2, 2))
                size //= 2
            continue
        layers += [nn.Conv2d(c, v, 3, 1, 1, bias=False), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
        c = v
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def cifar_resnet(torch, depth, classes):
    """Models.resnet: conv 3x3 16 + BN + ReLU, three stages of (depth-2)/6 basic blocks at 16/32/64,
    a 1x1 strided projection with BN where the shape changes (option B), GAP, linear."""
    nn = torch.nn

    class Residual(nn.Module):
        """relu(branch(x) + shortcut(x)), the shortcut the identity where it is None."""

        def __init__(self, branch, shortcut):
            super().__init__()
            self.branch = branch
            self.shortcut = shortcut

        def forward(self, x):
            out = self.branch(x)
            out += x if self.shortcut is None else self.shortcut(x)
            return torch.relu_(out)

    blocks = (depth - 2) // 6
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    c = 16
    for stage, width in enumerate((16, 32, 64)):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            branch = nn.Sequential(nn.Conv2d(c, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                                   nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width))
            shortcut = (nn.Sequential(nn.Conv2d(c, width, 1, stride, 0, bias=False), nn.BatchNorm2d(width))
                        if stride != 1 or c != width else None)
            layers.append(Residual(branch, shortcut))
            c = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- gRDA, per tensor

def make_per_tensor_grda(torch):
    class PerTensorGrda(torch.optim.Optimizer):
        """gRDA in the style of a per-tensor Python optimizer.

        State per tensor: the dual accumulator (starts at the initial weights), the step
        count and the threshold tau (grown with the current lr, so a schedule works).
        Per step and tensor: acc -= lr*g; w = sign(acc) * max(|acc| - tau, 0), as separate
        elementwise kernels: add_, abs, sub_, clamp_, sign, mul_, copy_ (seven launches,
        about 64 bytes of traffic per parameter, where a fused pass needs 16).
        """

        def __init__(self, params, lr, c, mu):
            super().__init__(params, dict(lr=lr, c=c, mu=mu))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                lr, c, mu = group["lr"], group["c"], group["mu"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    if not st:
                        st["n"] = 0
                        st["tau"] = 0.0
                        st["acc"] = p.detach().clone()
                    st["n"] += 1
                    n = st["n"]
                    st["tau"] += c * lr ** (0.5 + mu) * (n ** mu - (n - 1) ** mu)
                    acc = st["acc"]
                    acc.add_(p.grad, alpha=-lr)
                    shrunk = acc.abs().sub_(st["tau"]).clamp_(min=0)
                    p.copy_(torch.sign(acc).mul_(shrunk))

    return PerTensorGrda


# --------------------------------------------------------------------------- timing

class CudaClock:
    """Windows timed by CUDA events (the work is queued; the events bracket the kernels)."""

    def __init__(self, torch):
        self.torch = torch

    def sync(self):
        self.torch.cuda.synchronize()

    def window_ms(self, step, steps):
        start = self.torch.cuda.Event(enable_timing=True)
        end = self.torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(steps):
            step()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)

    def release(self):
        self.torch.cuda.empty_cache()


class CpuClock:
    """Windows timed by the wall clock: a CPU op has finished when it returns."""

    def sync(self):
        pass

    def window_ms(self, step, steps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - t0) * 1e3

    def release(self):
        pass


def time_steps(clock, step, warmup, steps, repeats, min_window_ms=0.0):
    """Median, min and max milliseconds per step over `repeats` windows, and the steps per window.

    A window has `steps` steps, or more where one step is shorter than min_window_ms / steps
    (sized from one probe step after the warm-up)."""
    for _ in range(warmup):
        step()
    clock.sync()
    if min_window_ms > 0:
        probe = clock.window_ms(step, 1)
        steps = max(steps, math.ceil(min_window_ms / max(probe, 1e-3)))
    per_step = [clock.window_ms(step, steps) / steps for _ in range(repeats)]
    return statistics.median(per_step), min(per_step), max(per_step), steps


def error_entry(name, method, e):
    return {"workload": name, "method": method, "error": f"{type(e).__name__}: {e}".splitlines()[0]}


def bench_workload(torch, name, shapes, args, grda_cls, clock):
    """Rows for one optimizer workload; a method that fails (too old a torch, out of memory) becomes an error entry."""
    dev = torch.device(args.device)
    total = sum(numel(s) for s in shapes)
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)
    rows, errors = [], []

    def record(method, fn):
        try:
            med, lo, hi, steps = time_steps(clock, fn, args.warmup, args.steps, args.repeats, args.min_window_ms)
        except Exception as e:  # noqa: BLE001 - reported per method, the run goes on
            errors.append(error_entry(name, method, e))
            print(f"  {method:22s} failed: {errors[-1]['error']}", flush=True)
            clock.release()
            return
        gbps = NOMINAL_BYTES[method] * total / (med * 1e-3) / 1e9
        rows.append({"workload": name, "params": total, "tensors": len(shapes), "method": method,
                     "median_ms": med, "min_ms": lo, "max_ms": hi, "steps": steps, "repeats": args.repeats,
                     "bytes_per_param": NOMINAL_BYTES[method], "gb_per_s": gbps})
        print(f"  {method:22s} {med:10.4f} ms/step  {gbps:8.1f} GB/s (at {NOMINAL_BYTES[method]} B/param)", flush=True)

    def fresh_params():
        ps = []
        for s in shapes:
            p = torch.nn.Parameter(torch.empty(s, device=dev).uniform_(-1, 1, generator=gen))
            p.grad = torch.empty(s, device=dev).uniform_(-1, 1, generator=gen)
            ps.append(p)
        return ps

    print(f"{name}: {total:,} parameters in {len(shapes)} tensors", flush=True)
    for method in args.methods:
        if method in TRAIN_METHODS:
            continue
        if method == "copy":
            src = torch.empty(total, device=dev).uniform_(-1, 1, generator=gen)
            dst = torch.empty_like(src)
            record(method, lambda: dst.copy_(src))
            del src, dst
        elif method == "topk":
            if len(shapes) != 1:
                print(f"  {method:22s} skipped: flat workloads only (the Java select row is one flat range)", flush=True)
                continue
            w = torch.empty(total, device=dev).uniform_(-1, 1, generator=gen)
            g = torch.empty(total, device=dev).uniform_(-1, 1, generator=gen)
            q = max(1, int(TOPK_KEEP * total))
            # as gsm_train.py: the score each step, then the Q largest (values sorted, the last is the threshold)
            record(method, lambda: torch.topk(torch.abs(g * w), q))
            del w, g
        elif method == "grda_loop":
            params = fresh_params()
            opt = grda_cls(params, lr=GRDA_LR, c=GRDA_C, mu=GRDA_MU)
            record(method, opt.step)
            del params, opt
        else:
            flag = "fused" if method == "sgd_momentum_fused" else "foreach"
            params = fresh_params()
            try:
                opt = torch.optim.SGD(params, lr=SGD_LR, momentum=SGD_MOMENTUM, **{flag: True})
            except (TypeError, RuntimeError, ValueError) as e:
                errors.append({"workload": name, "method": method,
                               "error": f"torch.optim.SGD({flag}=True) unavailable in torch {torch.__version__}: {e}"})
                print(f"  {method:22s} unavailable: {e}", flush=True)
                del params
                continue
            record(method, opt.step)
            del params, opt
        clock.release()
    return rows, errors


def bench_train(torch, name, model_id, args, clock):
    """The train_sgd_momentum row of one model: a full training step on one synthetic batch.

    The batch is made once (uniform [0, 1) pixels, label i % 10, as TrainStepFixture makes
    it), so the time is the step's compute, not an input pipeline."""
    input_shape, expected = MODELS[model_id]
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    model = build_model(torch, model_id).to(dev)
    model.train()
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    if total != expected:
        raise AssertionError(f"the torch {model_id} has {total:,} parameters, sparsestep's has {expected:,}: "
                             "the definitions differ (see io.sparsestep.nn.Models)")
    print(f"{name}: {total:,} parameters in {len(params)} tensors, batch {args.batch} of {'x'.join(map(str, input_shape))}",
          flush=True)
    rows, errors = [], []
    if "train_sgd_momentum" not in args.methods:
        return rows, errors
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)
    x = torch.rand((args.batch,) + input_shape, generator=gen, device=dev)
    y = torch.arange(args.batch, device=dev) % CLASSES
    opt = torch.optim.SGD(params, lr=SGD_LR, momentum=SGD_MOMENTUM, foreach=True)
    last = {}

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        last["loss"] = loss

    method = "train_sgd_momentum"
    try:
        med, lo, hi, steps = time_steps(clock, step, args.warmup, args.steps, args.repeats, args.min_window_ms)
        loss = float(last["loss"].item())
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss went {loss} during the timed steps")
    except Exception as e:  # noqa: BLE001 - reported per model, the run goes on
        errors.append(error_entry(name, method, e))
        print(f"  {method:22s} failed: {errors[-1]['error']}", flush=True)
        clock.release()
        return rows, errors
    rows.append({"workload": name, "model": model_id, "batch": args.batch, "input": list(input_shape),
                 "params": total, "tensors": len(params), "method": method,
                 "median_ms": med, "min_ms": lo, "max_ms": hi, "steps": steps, "repeats": args.repeats,
                 "last_loss": loss})
    print(f"  {method:22s} {med:10.4f} ms/step  (loss {loss:.4f})", flush=True)
    clock.release()
    return rows, errors


# --------------------------------------------------------------------------- output

def write_atomically(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path), suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def markdown(doc):
    st = doc["settings"]
    if doc["backend"] == "cpu":
        where = (f"{doc['device']}, torch {doc['torch']}, {doc['threads']['intra_op']} intra-op / "
                 f"{doc['threads']['inter_op']} inter-op threads")
        timing = (f"Median of {st['repeats']} wall-clock windows of at least {st['steps']} steps and "
                  f"{st['min_window_ms']:g} ms after {st['warmup']} warm-up steps.")
    else:
        where = f"{doc['device']}, torch {doc['torch']}, CUDA {doc['cuda']}"
        timing = f"Median of {st['repeats']} CUDA-event windows of {st['steps']} steps after {st['warmup']} warm-up steps."
    lines = [f"# PyTorch optimizer steps ({where}, {doc['date']})", "",
             timing + " GB/s at nominal bytes/param "
             "(copy 8, gRDA 16, SGD-momentum 20, topk 8: read g and w); 'of copy' = that over the copy's GB/s on the "
             "same workload. topk is torch.topk(|g*w|, int(0.05 N)); `sparsestep bench --pytorch` compares it with the Java select.", "",
             "| workload | params | tensors | method | median ms | GB/s | of copy | / fused SGD-m |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    by = {}
    train = [r for r in doc["results"] if r["method"] in TRAIN_METHODS]
    for r in doc["results"]:
        if r["method"] not in TRAIN_METHODS:
            by.setdefault(r["workload"], {})[r["method"]] = r
    for w, ms in by.items():
        copy = ms.get("copy")
        fused = ms.get("sgd_momentum_fused")
        for m in OPT_METHODS:
            r = ms.get(m)
            if r is None:
                continue
            frac = f"{r['gb_per_s'] / copy['gb_per_s']:.2f}" if copy else "-"
            vs = f"{r['median_ms'] / fused['median_ms']:.2f}" if fused and m not in ("copy", "topk") else "-"
            lines.append(f"| {w} | {r['params']:,} | {r['tensors']} | {m} | {r['median_ms']:.4f} | "
                         f"{r['gb_per_s']:.1f} | {frac} | {vs} |")
    if train:
        lines += ["", "## Training steps (zero_grad, forward, cross-entropy, backward, foreach SGD-momentum step)", "",
                  "| model | batch | input | params | tensors | median ms | min ms | max ms | steps/window |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
        for r in train:
            lines.append(f"| {r['model']} | {r['batch']} | {'x'.join(map(str, r['input']))} | {r['params']:,} | {r['tensors']} | "
                         f"{r['median_ms']:.3f} | {r['min_ms']:.3f} | {r['max_ms']:.3f} | {r['steps']} |")
    if doc["errors"]:
        lines += ["", "Errors:", ""] + [f"- {e['workload']} {e['method']}: {e['error']}" for e in doc["errors"]]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Time gRDA (per-tensor loop), fused/foreach SGD-momentum, GSM's topk "
                                            "threshold and a copy with PyTorch on a CUDA GPU or the CPU, and on the CPU "
                                            "full training steps of sparsestep's models.")
    p.add_argument("--out", required=True, help="directory for pytorch.json and pytorch.md")
    p.add_argument("--device", choices=sorted(DEFAULTS), default="cuda", help="cuda (default) or cpu")
    p.add_argument("--threads", type=int, default=2,
                   help="CPU only: torch.set_num_threads and set_num_interop_threads (default 2)")
    p.add_argument("--workloads", default="", help="comma-separated subset of: "
                   + ", ".join(list(FLAT_SIZES) + ["resnet50", "vgg16"] + [TRAIN_PREFIX + m for m in MODELS])
                   + " (default cuda: " + ",".join(DEFAULTS["cuda"]["workloads"])
                   + "; cpu: " + ",".join(DEFAULTS["cpu"]["workloads"]) + ")")
    p.add_argument("--methods", default="", help="comma-separated subset of: " + ", ".join(METHODS)
                   + " (train_* on train-<model> workloads, the rest on the others; default cuda: "
                   + ",".join(DEFAULTS["cuda"]["methods"]) + "; cpu: " + ",".join(DEFAULTS["cpu"]["methods"]) + ")")
    p.add_argument("--batch", type=int, default=128, help="batch of the training steps (default 128)")
    p.add_argument("--warmup", type=int, help="warm-up steps before timing (default cuda 5, cpu 3)")
    p.add_argument("--steps", type=int, help="steps per timed window at the least (default cuda 20, cpu 5)")
    p.add_argument("--repeats", type=int, help="timed windows; the median is reported (default cuda 7, cpu 5)")
    p.add_argument("--min-window-ms", type=float,
                   help="a window runs more steps until it lasts this long (default cuda 0, cpu 250)")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    d = DEFAULTS[a.device]
    for key in ("warmup", "steps", "repeats", "min_window_ms"):
        if getattr(a, key) is None:
            setattr(a, key, d[key])
    a.methods = [m for m in a.methods.split(",") if m] or list(d["methods"])
    bad = [m for m in a.methods if m not in METHODS]
    if bad:
        p.error(f"unknown method(s) {bad}; choose from {METHODS}")
    if a.warmup < 0 or a.steps < 1 or a.repeats < 1 or a.min_window_ms < 0:
        p.error("--warmup and --min-window-ms must be >= 0, --steps and --repeats >= 1")
    if a.threads < 1 or a.batch < 1:
        p.error("--threads and --batch must be >= 1")
    a.workloads = [w for w in a.workloads.split(",") if w] or list(d["workloads"])
    return a


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_capability(torch):
    """The vector ISA ATen's kernels dispatch to, as torch.__config__.show() states it (None if it does not)."""
    try:
        for line in torch.__config__.show().splitlines():
            if "CPU capability usage" in line:
                return line.split(":", 1)[1].strip()
    except Exception:  # noqa: BLE001 - an informational field
        pass
    return None


def open_cpu(torch, threads):
    """Sets the thread counts (inter-op first: torch refuses it once parallel work has run) and describes the CPU."""
    torch.set_num_interop_threads(threads)
    torch.set_num_threads(threads)
    info = {"device": f"{cpu_model()} ({os.cpu_count()} logical CPUs)",
            "threads": {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()},
            "cpu_capability": cpu_capability(torch)}
    print(f"bench_pytorch: {info['device']}, torch {torch.__version__}, {info['threads']['intra_op']} intra-op / "
          f"{info['threads']['inter_op']} inter-op threads, ATen CPU capability {info['cpu_capability']}", flush=True)
    return info


def open_cuda(torch):
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", None)
    print(f"bench_pytorch: {props.name}, {props.total_memory / 2**30:.0f} GiB, L2 "
          f"{'?' if l2 is None else f'{l2 / MIB:.0f} MiB'}, torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)
    return {"device": props.name, "gpu_memory_bytes": props.total_memory, "l2_bytes": l2, "cuda": torch.version.cuda}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    selected = workloads(args.workloads)  # checks the shape lists even before torch is imported
    try:
        import torch
    except ImportError as e:
        where = ("install it (Debian: apt-get install python3-torch libopenblas0-pthread) and run this with that "
                 "python3, e.g. /usr/bin/python3" if args.device == "cpu" else "run this on the GPU host where torch is installed")
        print(f"bench_pytorch: PyTorch is not importable ({e}); {where}", file=sys.stderr)
        return 2
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print(f"bench_pytorch: no CUDA device visible to PyTorch {torch.__version__} (torch.cuda.is_available() is False; "
                  f"CUDA build: {torch.version.cuda}); run on a machine with an NVIDIA GPU and a CUDA build of torch, "
                  f"or pass --device cpu", file=sys.stderr)
            return 2
        info, clock = open_cuda(torch), CudaClock(torch)
        oom = getattr(torch.cuda, "OutOfMemoryError", RuntimeError)  # older torch raises a plain RuntimeError
    else:
        info, clock = open_cpu(torch, args.threads), CpuClock()
        oom = MemoryError

    grda_cls = make_per_tensor_grda(torch)
    results, errors = [], []
    for name, what in selected.items():
        try:
            if isinstance(what, str):
                rows, errs = bench_train(torch, name, what, args, clock)
            else:
                rows, errs = bench_workload(torch, name, what, args, grda_cls, clock)
        except oom as e:
            rows, errs = [], [{"workload": name, "method": "*", "error": f"out of memory: {str(e).splitlines()[0]}"}]
            clock.release()
        results += rows
        errors += errs

    doc = {
        "tool": "bench_pytorch.py",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "backend": args.device,
        **info,
        "torch": torch.__version__,
        "settings": {"warmup": args.warmup, "steps": args.steps, "repeats": args.repeats,
                     "min_window_ms": args.min_window_ms, "batch": args.batch,
                     "grda": {"lr": GRDA_LR, "c": GRDA_C, "mu": GRDA_MU},
                     "sgd": {"lr": SGD_LR, "momentum": SGD_MOMENTUM}},
        "nominal_bytes_per_param": NOMINAL_BYTES,
        "results": results,
        "errors": errors,
    }
    if args.device == "cpu":
        doc["cuda"] = None
        doc["load_average"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    write_atomically(os.path.join(args.out, "pytorch.json"), json.dumps(doc, indent=2) + "\n")
    md = markdown(doc)
    write_atomically(os.path.join(args.out, "pytorch.md"), md)
    print()
    print(md)
    print(f"bench_pytorch: wrote {os.path.join(args.out, 'pytorch.json')} and pytorch.md")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
