"""items/s against items per request, log-log, one line per engine and path (bench/results/latest.png).

    target/bench-venv/bin/python bench/lib/plot.py bench/results/latest.json bench/results/latest.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

data = json.load(open(sys.argv[1]))
summary = data["summary"]
meta = data.get("meta", {})
style = {
    "native/http": ("tab:red", "-", "o"),
    "native/cli": ("tab:red", "--", "s"),
    "php/http": ("tab:blue", "-", "o"),
    "php/cli": ("tab:blue", "--", "s"),
    "baseline/http": ("tab:gray", "-", "o"),
    "baseline/cli": ("tab:gray", "--", "s"),
    "floor/sql": ("black", ":", "^"),
}
fig, ax = plt.subplots(figsize=(8, 5.5))
for case, (color, ls, marker) in style.items():
    pts = sorted(
        (int(n), c[case]["items_per_s"], c[case]["min_s"], c[case]["max_s"])
        for n, c in summary.items()
        if case in c and c[case].get("items_per_s")
    )
    if not pts:
        continue
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    # spread: items/s at the slowest and the fastest run
    lo = [p[1] - p[0] / p[3] for p in pts]
    hi = [p[0] / p[2] - p[1] for p in pts]
    ax.errorbar(xs, ys, yerr=[lo, hi], color=color, linestyle=ls, marker=marker, capsize=3, label=case)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("items per request")
ax.set_ylabel("items per second (median; bars: min–max)")
ax.set_title(
    "mulopimfwc bulk sync — %s, %s CPUs" % (meta.get("date", "")[:10], meta.get("nproc", "?")),
    fontsize=11,
)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8, loc="best")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print("plot:", sys.argv[2])
