"""PyTorch peer of bench/folded-step.ts: one optimizer step on `tensors` float32 parameters of
`size` elements each, bare (`optimizer.step()`) and clipped (`clip_grad_norm_(params, 1.0)` then
`step()`), one thread, interleaved; prints one JSON line of medians (ms).

usage: /usr/bin/python3 bench/torch_step.py OPTIMIZER SIZE TENSORS STEPS   (OPTIMIZER: sgd | momentum | adam)
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

torch.set_num_threads(1)
kind, size, tensors, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
gen = torch.Generator().manual_seed(1)


def make():
    params = [torch.nn.Parameter(torch.randn(size, generator=gen)) for _ in range(tensors)]
    for p in params:
        p.grad = torch.randn(size, generator=gen)
    if kind == "sgd":
        opt = torch.optim.SGD(params, lr=0.01)
    elif kind == "momentum":
        opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    else:
        opt = torch.optim.Adam(params, lr=0.001)
    opt.step()  # makes the state (moments) outside the timing
    return params, opt


variants = {"bare": make(), "clipped": make()}
times = {"bare": [], "clipped": []}
for step in range(steps + 2):
    order = ["bare", "clipped"] if step % 2 == 0 else ["clipped", "bare"]
    for name in order:
        params, opt = variants[name]
        t0 = time.perf_counter()
        if name == "clipped":
            torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if step >= 2:
            times[name].append(dt)
        if name == "clipped":  # restore the unclipped gradients outside the timing
            for p in params:
                p.grad.normal_(generator=gen)
print(json.dumps({"torch": torch.__version__, "bare": statistics.median(times["bare"]), "clipped": statistics.median(times["clipped"])}))
