#!/usr/bin/env python3
"""PyTorch side of the sparsestep optimizer benchmark (run on the GPU host).

Times, on the GPU, one optimizer step over the same parameter counts the Java suite uses
(flat buffers of 1M, 16M, 64M and 256M parameters) and over the parameter shape lists of
ResNet-50 and VGG-16 (ImageNet, as torchvision builds them):

  grda_loop             gRDA as a per-tensor Python optimizer does it: a loop over the
                        tensors with several elementwise kernels each, written from the
                        update rule (docs: /work/shared/reference/ALGORITHMS.md section 1)
  sgd_momentum_fused    torch.optim.SGD(momentum=0.9, fused=True)
  sgd_momentum_foreach  torch.optim.SGD(momentum=0.9, foreach=True)
  copy                  one device-to-device copy of all parameters (the bandwidth baseline)
  topk                  GSM's threshold as the authors' code finds it every step (flat
                        workloads): torch.topk(torch.abs(g * w), Q) with Q = int(0.05 * N)
                        (floored, as GSM floors); the Java suite's "select" row is the radix
                        select of the same k-th largest |g*w|, and `sparsestep bench --pytorch`
                        prints topk / Java select

Timing: CUDA events around a window of --steps steps after --warmup steps, repeated
--repeats times; the median window divided by --steps is the time per step. Writes
DIR/pytorch.json (read by `sparsestep bench --pytorch DIR/pytorch.json`) and DIR/pytorch.md.

Usage: python3 bench/pytorch/bench_pytorch.py --out DIR
No network access is needed; torchvision is not used (the shape lists are built here).
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile

MIB = 1 << 20
FLAT_SIZES = {"flat-1M": 1 * MIB, "flat-16M": 16 * MIB, "flat-64M": 64 * MIB, "flat-256M": 256 * MIB}
# fp32 bytes per parameter that each method must move at the least (each operand read or
# written once); the per-tensor gRDA loop moves far more, which is what the figure shows
NOMINAL_BYTES = {"copy": 8, "grda_loop": 16, "sgd_momentum_fused": 20, "sgd_momentum_foreach": 20, "topk": 8}
METHODS = ["copy", "grda_loop", "sgd_momentum_fused", "sgd_momentum_foreach", "topk"]
# GSM's kept fraction for the topk row (20x, the ratio); Q = int(TOPK_KEEP * N) floors
TOPK_KEEP = 0.05

# gRDA and SGD settings: the values do not change the work per step
GRDA_LR, GRDA_C, GRDA_MU = 0.01, 0.0005, 0.6
SGD_LR, SGD_MOMENTUM = 0.01, 0.9


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
    """name -> list of shapes. Totals are checked against the published parameter counts."""
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
    if selected:
        unknown = [w for w in selected if w not in out]
        if unknown:
            raise SystemExit(f"bench_pytorch: unknown workload(s) {unknown}; choose from {sorted(out)}")
        out = {k: v for k, v in out.items() if k in selected}
    return out


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

def time_steps(torch, step, warmup, steps, repeats):
    """Median, min and max milliseconds per step over `repeats` windows of `steps` steps (CUDA events)."""
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    per_step = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(steps):
            step()
        end.record()
        end.synchronize()
        per_step.append(start.elapsed_time(end) / steps)
    return statistics.median(per_step), min(per_step), max(per_step)


def bench_workload(torch, name, shapes, args, grda_cls):
    """Rows for one workload; a method that fails (too old a torch, out of memory) becomes an error entry."""
    dev = torch.device("cuda")
    total = sum(numel(s) for s in shapes)
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)
    rows, errors = [], []

    def record(method, fn):
        try:
            med, lo, hi = time_steps(torch, fn, args.warmup, args.steps, args.repeats)
        except Exception as e:  # noqa: BLE001 - reported per method, the run goes on
            errors.append({"workload": name, "method": method, "error": f"{type(e).__name__}: {e}".splitlines()[0]})
            print(f"  {method:22s} failed: {errors[-1]['error']}", flush=True)
            torch.cuda.empty_cache()
            return
        gbps = NOMINAL_BYTES[method] * total / (med * 1e-3) / 1e9
        rows.append({"workload": name, "params": total, "tensors": len(shapes), "method": method,
                     "median_ms": med, "min_ms": lo, "max_ms": hi, "steps": args.steps, "repeats": args.repeats,
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
        torch.cuda.empty_cache()
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
    lines = [f"# PyTorch optimizer steps ({doc['device']}, torch {doc['torch']}, CUDA {doc['cuda']}, {doc['date']})", "",
             f"Median of {doc['settings']['repeats']} CUDA-event windows of {doc['settings']['steps']} steps "
             f"after {doc['settings']['warmup']} warm-up steps. GB/s at nominal bytes/param "
             "(copy 8, gRDA 16, SGD-momentum 20, topk 8: read g and w); 'of copy' = that over the copy's GB/s on the "
             "same workload. topk is torch.topk(|g*w|, int(0.05 N)); `sparsestep bench --pytorch` prints topk / Java select.", "",
             "| workload | params | tensors | method | median ms | GB/s | of copy | / fused SGD-m |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    by = {}
    for r in doc["results"]:
        by.setdefault(r["workload"], {})[r["method"]] = r
    for w, ms in by.items():
        copy = ms.get("copy")
        fused = ms.get("sgd_momentum_fused")
        for m in METHODS:
            r = ms.get(m)
            if r is None:
                continue
            frac = f"{r['gb_per_s'] / copy['gb_per_s']:.2f}" if copy else "-"
            vs = f"{r['median_ms'] / fused['median_ms']:.2f}" if fused and m not in ("copy", "topk") else "-"
            lines.append(f"| {w} | {r['params']:,} | {r['tensors']} | {m} | {r['median_ms']:.4f} | "
                         f"{r['gb_per_s']:.1f} | {frac} | {vs} |")
    if doc["errors"]:
        lines += ["", "Errors:", ""] + [f"- {e['workload']} {e['method']}: {e['error']}" for e in doc["errors"]]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Time gRDA (per-tensor loop), fused/foreach SGD-momentum, GSM's topk "
                                            "threshold and a device copy with PyTorch on a CUDA GPU.")
    p.add_argument("--out", required=True, help="directory for pytorch.json and pytorch.md")
    p.add_argument("--workloads", default="", help="comma-separated subset of: "
                   + ", ".join(list(FLAT_SIZES) + ["resnet50", "vgg16"]) + " (default: all)")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of: " + ", ".join(METHODS))
    p.add_argument("--warmup", type=int, default=5, help="warm-up steps before timing (default 5)")
    p.add_argument("--steps", type=int, default=20, help="steps per timed window (default 20)")
    p.add_argument("--repeats", type=int, default=7, help="timed windows; the median is reported (default 7)")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    a.methods = [m for m in a.methods.split(",") if m]
    bad = [m for m in a.methods if m not in METHODS]
    if bad:
        p.error(f"unknown method(s) {bad}; choose from {METHODS}")
    if a.warmup < 0 or a.steps < 1 or a.repeats < 1:
        p.error("--warmup must be >= 0, --steps and --repeats >= 1")
    a.workloads = [w for w in a.workloads.split(",") if w]
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    selected = workloads(args.workloads)  # checks the shape lists even before torch is imported
    try:
        import torch
    except ImportError as e:
        print(f"bench_pytorch: PyTorch is not importable ({e}); run this on the GPU host where torch is installed",
              file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print(f"bench_pytorch: no CUDA device visible to PyTorch {torch.__version__} (torch.cuda.is_available() is False; "
              f"CUDA build: {torch.version.cuda}); run on a machine with an NVIDIA GPU and a CUDA build of torch",
              file=sys.stderr)
        return 2
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", None)
    print(f"bench_pytorch: {props.name}, {props.total_memory / 2**30:.0f} GiB, L2 "
          f"{'?' if l2 is None else f'{l2 / MIB:.0f} MiB'}, torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)

    grda_cls = make_per_tensor_grda(torch)
    oom = getattr(torch.cuda, "OutOfMemoryError", RuntimeError)  # older torch raises a plain RuntimeError
    results, errors = [], []
    for name, shapes in selected.items():
        try:
            rows, errs = bench_workload(torch, name, shapes, args, grda_cls)
        except oom as e:
            rows, errs = [], [{"workload": name, "method": "*", "error": f"out of memory: {str(e).splitlines()[0]}"}]
            torch.cuda.empty_cache()
        results += rows
        errors += errs

    doc = {
        "tool": "bench_pytorch.py",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": props.name,
        "gpu_memory_bytes": props.total_memory,
        "l2_bytes": l2,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "settings": {"warmup": args.warmup, "steps": args.steps, "repeats": args.repeats,
                     "grda": {"lr": GRDA_LR, "c": GRDA_C, "mu": GRDA_MU},
                     "sgd": {"lr": SGD_LR, "momentum": SGD_MOMENTUM}},
        "nominal_bytes_per_param": NOMINAL_BYTES,
        "results": results,
        "errors": errors,
    }
    write_atomically(os.path.join(args.out, "pytorch.json"), json.dumps(doc, indent=2) + "\n")
    md = markdown(doc)
    write_atomically(os.path.join(args.out, "pytorch.md"), md)
    print()
    print(md)
    print(f"bench_pytorch: wrote {os.path.join(args.out, 'pytorch.json')} and pytorch.md")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
