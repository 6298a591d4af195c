"""Side by side: flopmeter's best result per dtype and shape (any CUDA kernel) against
torch.matmul from scripts/torch_reference.py, with the ratio.

    python3 scripts/compare_torch.py cuda.json torch.json
"""
import json
import sys

ours = json.load(open(sys.argv[1]))
ref = {(r["dtype"], r["m"]): r for r in json.load(open(sys.argv[2]))["results"] if "tflops" in r}
print(f"{'dtype':6} {'size':>6} {'kernel':10} {'flopmeter':>10} {'torch':>10} {'ratio':>6}  verified")
rows = {}
for run in ours["runs"]:
    key = (run["dtype"], run["m"], run["kernel"])
    rows[key] = run
for (dtype, n, kernel), run in sorted(rows.items()):
    t = ref.get((dtype, n))
    tf = run["tflops"]["median"]
    line = f"{dtype:6} {n:6} {kernel:10} {tf:10.1f} "
    line += f"{t['tflops']:10.1f} {tf / t['tflops']:6.3f}" if t else f"{'-':>10} {'-':>6}"
    print(line + f"  {run['verification']['status']}")
