"""A stand-in for torch: just the API bench/pytorch/bench_pytorch.py calls, on the CPU with numpy.

Not a benchmark of anything. PytorchScriptContractTest puts this folder on PYTHONPATH and runs
the real script on tiny workloads, so that CI (no GPU, no torch) still runs the script's own
code on both devices and checks that the pytorch.json it writes is what `sparsestep bench
--pytorch` reads. Real torch semantics are not modelled: only the calls, their arguments and
return shapes. The nn layers do check what real torch would reject (a layer's input channels
or features against the tensor it gets, equal shapes in a residual sum) and record which
parameters a result depends on, so that backward() gives exactly those a gradient: a model
definition in the script that does not fit together fails here too.
"""
import numpy as np, time, types, functools
__version__ = "0.0-fake"
version = types.SimpleNamespace(cuda="13.0")
__config__ = types.SimpleNamespace(show=lambda: "PyTorch built with:\n  - CPU capability usage: FAKE\n")
_threads = {"intra": 1, "inter": 1}
def set_num_threads(n): _threads["intra"] = n
def set_num_interop_threads(n): _threads["inter"] = n
def get_num_threads(): return _threads["intra"]
def get_num_interop_threads(): return _threads["inter"]
def manual_seed(s): return None
class device:
    def __init__(self, name): self.name = name
class Generator:
    def __init__(self, device=None): self.rng = np.random.default_rng(0)
    def manual_seed(self, s): self.rng = np.random.default_rng(s); return self
class Tensor:
    def __init__(self, a, deps=()): self.a = a; self.grad = None; self.deps = tuple(deps)
    @property
    def shape(self): return self.a.shape
    def numel(self): return int(self.a.size)
    def item(self): return float(self.a)
    def uniform_(self, lo=0, hi=1, generator=None):
        self.a[...] = (generator.rng if generator else np.random.default_rng()).uniform(lo, hi, self.a.shape); return self
    def copy_(self, o): self.a[...] = o.a; return self
    def add_(self, o, alpha=1): self.a += alpha * (o.a if isinstance(o, Tensor) else o); return self
    def sub_(self, v): self.a -= v; return self
    def mul_(self, o): self.a *= (o.a if isinstance(o, Tensor) else o); return self
    def clamp_(self, min=None): np.maximum(self.a, min, out=self.a); return self
    def abs(self): return Tensor(np.abs(self.a))
    def __mul__(self, o): return Tensor(self.a * (o.a if isinstance(o, Tensor) else o))
    def __mod__(self, k): return Tensor(self.a % k)
    def __iadd__(self, o):
        if o.shape != self.shape: raise RuntimeError(f"The size of tensor a {self.shape} must match the size of tensor b {o.shape}")
        self.a = self.a + o.a; self.deps = self.deps + o.deps; return self
    def detach(self): return self
    def clone(self): return Tensor(self.a.copy())
    def backward(self):
        for p in self.deps: p.grad = Tensor(np.ones_like(p.a))
def empty(shape, device=None): return Tensor(np.empty(shape, dtype=np.float32))
def empty_like(t): return Tensor(np.empty_like(t.a))
def rand(shape, generator=None, device=None): return Tensor(generator.rng.random(shape, dtype=np.float32))
def arange(n, device=None): return Tensor(np.arange(n))
def sign(t): return Tensor(np.sign(t.a))
def abs(t): return Tensor(np.abs(t.a))
def relu_(t): np.maximum(t.a, 0, out=t.a); return t
def topk(t, k, sorted=True):
    i = np.argsort(-t.a, kind="stable")[:k]
    return types.SimpleNamespace(values=Tensor(t.a[i]), indices=Tensor(i))
def no_grad():
    def deco(f):
        @functools.wraps(f)
        def w(*a, **k): return f(*a, **k)
        return w
    return deco

# ----------------------------------------------------------------------------- nn: shapes and parameters only
class Parameter(Tensor):
    def __init__(self, t): super().__init__(t.a)
def _param(*shape): return Parameter(Tensor(np.zeros(shape, dtype=np.float32)))
def _out(x, shape, params): return Tensor(np.zeros(shape, dtype=np.float32), x.deps + tuple(params))
def _expect(name, got, want):
    if got != want: raise RuntimeError(f"{name}: expected input with {want} channels/features, got {got}")
class Module:
    def __init__(self): object.__setattr__(self, "_own", {})
    def __setattr__(self, k, v):
        if isinstance(v, (Module, Parameter)): self._own[k] = v
        object.__setattr__(self, k, v)
    def parameters(self):
        for v in self._own.values():
            if isinstance(v, Parameter): yield v
            else: yield from v.parameters()
    def __call__(self, *a): return self.forward(*a)
    def to(self, device): return self
    def train(self, mode=True): return self
class Sequential(Module):
    def __init__(self, *layers):
        super().__init__()
        for i, l in enumerate(layers): setattr(self, str(i), l)
        self.layers = list(layers)
    def forward(self, x):
        for l in self.layers: x = l(x)
        return x
class Conv2d(Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, bias=True):
        super().__init__(); self.cin, self.k, self.s, self.p = cin, k, stride, padding
        self.weight = _param(cout, cin, k, k)
        if bias: self.bias = _param(cout)
    def forward(self, x):
        n, c, h, w = x.shape; _expect("Conv2d", c, self.cin)
        o = lambda d: (d + 2 * self.p - self.k) // self.s + 1
        return _out(x, (n, self.weight.shape[0], o(h), o(w)), list(self.parameters()))
class BatchNorm2d(Module):
    def __init__(self, c, eps=1e-5, momentum=0.1):
        super().__init__(); self.weight = _param(c); self.bias = _param(c)
    def forward(self, x): _expect("BatchNorm2d", x.shape[1], self.weight.shape[0]); return _out(x, x.shape, list(self.parameters()))
class Linear(Module):
    def __init__(self, fin, fout, bias=True):
        super().__init__(); self.weight = _param(fout, fin)
        if bias: self.bias = _param(fout)
    def forward(self, x): _expect("Linear", x.shape[-1], self.weight.shape[1]); return _out(x, x.shape[:-1] + (self.weight.shape[0],), list(self.parameters()))
class ReLU(Module):
    def __init__(self, inplace=False): super().__init__()
    def forward(self, x): return relu_(x)
class MaxPool2d(Module):
    def __init__(self, k, stride=None): super().__init__(); self.k, self.s = k, stride or k
    def forward(self, x):
        n, c, h, w = x.shape
        return _out(x, (n, c, (h - self.k) // self.s + 1, (w - self.k) // self.s + 1), [])
class AdaptiveAvgPool2d(Module):
    def __init__(self, size): super().__init__()
    def forward(self, x): return _out(x, x.shape[:2] + (1, 1), [])
class Flatten(Module):
    def forward(self, x): return _out(x, (x.shape[0], int(np.prod(x.shape[1:]))), [])
def cross_entropy(logits, y):
    if logits.shape != (y.shape[0], 10): raise RuntimeError(f"cross_entropy: logits {logits.shape} for {y.shape[0]} labels of 10 classes")
    return Tensor(np.float32(np.log(10.0)), logits.deps)
nn = types.SimpleNamespace(Parameter=Parameter, Module=Module, Sequential=Sequential, Conv2d=Conv2d, BatchNorm2d=BatchNorm2d,
                           Linear=Linear, ReLU=ReLU, MaxPool2d=MaxPool2d, AdaptiveAvgPool2d=AdaptiveAvgPool2d, Flatten=Flatten,
                           functional=types.SimpleNamespace(cross_entropy=cross_entropy))

class Optimizer:
    def __init__(self, params, defaults):
        self.param_groups = [dict(defaults, params=list(params))]
        self.state = _IdDict()
    def zero_grad(self, set_to_none=False):
        for p in self.param_groups[0]["params"]: p.grad = None
class _IdDict(dict):
    def __getitem__(self, k): return dict.setdefault(self, id(k), {})
class SGD(Optimizer):
    def __init__(self, params, lr, momentum, fused=None, foreach=None):
        super().__init__(params, dict(lr=lr, momentum=momentum))
    def step(self):
        for p in self.param_groups[0]["params"]:
            if p.grad is None: raise RuntimeError("fake SGD: a parameter got no gradient (the model's graph misses it)")
            p.a -= 0.01 * p.grad.a
optim = types.SimpleNamespace(Optimizer=Optimizer, SGD=SGD)
class Event:
    def __init__(self, enable_timing=False): self.t = None
    def record(self): self.t = time.perf_counter()
    def synchronize(self): pass
    def elapsed_time(self, end): return (end.t - self.t) * 1e3
class _Props: name = "Fake GPU"; total_memory = 8 << 30; L2_cache_size = 50 << 20
cuda = types.SimpleNamespace(is_available=lambda: True, synchronize=lambda: None, empty_cache=lambda: None,
                             Event=Event, get_device_properties=lambda i: _Props(), OutOfMemoryError=MemoryError)
