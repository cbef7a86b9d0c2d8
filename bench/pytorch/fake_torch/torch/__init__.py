"""A stand-in for torch: just the API bench/pytorch/bench_pytorch.py calls, on the CPU with numpy.

Not a benchmark of anything. PytorchScriptContractTest puts this folder on PYTHONPATH and runs
the real script on a tiny workload, so that CI (no GPU, no torch) still runs the script's own
code and checks that the pytorch.json it writes is what `sparsestep bench --pytorch` reads.
Real torch semantics are not modelled: only the calls, their arguments and return shapes.
"""
import numpy as np, time, types, functools
__version__ = "0.0-fake"
version = types.SimpleNamespace(cuda="13.0")
class device:
    def __init__(self, name): self.name = name
class Generator:
    def __init__(self, device=None): self.rng = np.random.default_rng(0)
    def manual_seed(self, s): self.rng = np.random.default_rng(s); return self
class Tensor:
    def __init__(self, a): self.a = a; self.grad = None
    def uniform_(self, lo=0, hi=1, generator=None):
        self.a[...] = (generator.rng if generator else np.random.default_rng()).uniform(lo, hi, self.a.shape); return self
    def copy_(self, o): self.a[...] = o.a; return self
    def add_(self, o, alpha=1): self.a += alpha * (o.a if isinstance(o, Tensor) else o); return self
    def sub_(self, v): self.a -= v; return self
    def mul_(self, o): self.a *= (o.a if isinstance(o, Tensor) else o); return self
    def clamp_(self, min=None): np.maximum(self.a, min, out=self.a); return self
    def abs(self): return Tensor(np.abs(self.a))
    def __mul__(self, o): return Tensor(self.a * (o.a if isinstance(o, Tensor) else o))
    def detach(self): return self
    def clone(self): return Tensor(self.a.copy())
def empty(shape, device=None): return Tensor(np.empty(shape, dtype=np.float32))
def empty_like(t): return Tensor(np.empty_like(t.a))
def sign(t): return Tensor(np.sign(t.a))
def abs(t): return Tensor(np.abs(t.a))
def topk(t, k, sorted=True):
    i = np.argsort(-t.a, kind="stable")[:k]
    return types.SimpleNamespace(values=Tensor(t.a[i]), indices=Tensor(i))
def no_grad():
    def deco(f):
        @functools.wraps(f)
        def w(*a, **k): return f(*a, **k)
        return w
    return deco
class _NN: pass
nn = _NN()
def Parameter(t): return t
nn.Parameter = Parameter
class Optimizer:
    def __init__(self, params, defaults):
        self.param_groups = [dict(defaults, params=list(params))]
        self.state = _IdDict()
class _IdDict(dict):
    def __getitem__(self, k): return dict.setdefault(self, id(k), {})
class SGD(Optimizer):
    def __init__(self, params, lr, momentum, fused=None, foreach=None):
        super().__init__(params, dict(lr=lr, momentum=momentum))
    def step(self):
        for p in self.param_groups[0]["params"]: p.a -= 0.01 * p.grad.a
optim = types.SimpleNamespace(Optimizer=Optimizer, SGD=SGD)
class Event:
    def __init__(self, enable_timing=False): self.t = None
    def record(self): self.t = time.perf_counter()
    def synchronize(self): pass
    def elapsed_time(self, end): return (end.t - self.t) * 1e3
class _Props: name = "Fake GPU"; total_memory = 8 << 30; L2_cache_size = 50 << 20
cuda = types.SimpleNamespace(is_available=lambda: True, synchronize=lambda: None, empty_cache=lambda: None,
                             Event=Event, get_device_properties=lambda i: _Props(), OutOfMemoryError=MemoryError)
