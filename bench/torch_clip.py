"""PyTorch side of `npm run bench`: a one-thread worker driven over stdin/stdout (one JSON per line).

Commands: {"op": "setup", "counts": [n0, n1, ...], "seed": s} -> creates float32 randn gradients;
{"op": "time", "kind": "global"|"pertensor"|"value", "reps": k, "max_norm": c, "clip_value": v} -> ms list;
{"op": "err"} (right after setup) -> relative error of clip_grad_norm_'s norm vs float64; {"op": "free"}.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

torch.set_num_threads(1)
params = []


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


reply({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()})
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    if op == "setup":
        g = torch.Generator().manual_seed(cmd.get("seed", 0))
        params = []
        for n in cmd["counts"]:
            p = torch.nn.Parameter(torch.empty(n))
            p.grad = torch.randn(n, generator=g)
            params.append(p)
        reply({"ok": True})
    elif op == "time":
        kind, times = cmd["kind"], []
        for _ in range(cmd["reps"]):
            t0 = time.perf_counter()
            if kind == "global":
                torch.nn.utils.clip_grad_norm_(params, cmd["max_norm"])
            elif kind == "pertensor":
                for p in params:
                    torch.nn.utils.clip_grad_norm_([p], cmd["max_norm"])
            else:
                torch.nn.utils.clip_grad_value_(params, cmd["clip_value"])
            times.append((time.perf_counter() - t0) * 1e3)  # in place; torch multiplies every rep
        reply({"times": times})
    elif op == "err":
        # call right after setup: max_norm 1e30 multiplies by 1, leaving the randn values intact
        norm = float(torch.nn.utils.clip_grad_norm_(params, 1e30))
        ref = sum(float((p.grad.double() ** 2).sum()) for p in params) ** 0.5
        reply({"relErr": abs(norm - ref) / ref})
    elif op == "free":
        params = []
        reply({"ok": True})
    else:
        reply({"error": f"unknown op {op}"})
