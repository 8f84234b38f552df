"""Wall time and peak memory of ``python -m declinerisk.train`` at 10k, 100k and 1M demo rows.

Each run is a fresh process, so its peak resident memory is its own. The baseline is one bare
InterpretML ``ExplainableBoostingClassifier`` fit with its defaults on the same rows, already
typed (no reading, validation, cross-fitting, refit, saving or tracking). The full run fits
the recipe several times (3 cross-fit models, the evaluated model, the shipped model, the
baseline) with bags reduced on large data (``bag_budget_rows``). Targets from the model-core
issue: 1M rows in under 10 minutes and 4 GiB.

Usage: ``python benchmarks/train_benchmark.py [--rows 10000 100000 1000000] [--threads 2]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from measure import demo_file, run_measured

BARE_FIT = """
import sys
import time
from pathlib import Path

from declinerisk.data.mapping import ColumnMapping
from interpret.glassbox import ExplainableBoostingClassifier
from declinerisk.data.sources import read_table
from declinerisk.data.split import declined
from declinerisk.data.validation import validate_offers
v = validate_offers(read_table(Path(sys.argv[1])), ColumnMapping(), source="x", purpose="train")
start = time.perf_counter()
model = ExplainableBoostingClassifier(n_jobs=-1)
model.fit(v.frame[v.features.names], declined(v.frame))
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    print("| rows | full train: wall s | full train: peak MiB | bare EBM fit s | ratio |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="declinerisk-bench-") as tmp:
        work = Path(tmp)
        for rows in sorted(args.rows):
            data = work / f"offers_{rows}.csv"
            demo_file(rows, 1, data)
            wall, peak, _ = run_measured(
                [
                    sys.executable,
                    "-m",
                    "declinerisk.train",
                    "--data",
                    str(data),
                    "--models-dir",
                    str(work / "models"),
                ],
                {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{work}/mlflow.db"},
            )
            _, _, bare = run_measured([sys.executable, "-c", BARE_FIT, str(data)], env)
            bare_s = float(bare.strip().splitlines()[-1])
            print(
                f"| {rows:,} | {wall:.1f} | {peak:,.0f} | {bare_s:.1f} | {wall / bare_s:.1f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
