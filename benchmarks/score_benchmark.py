"""Rows per second and peak memory of ``declinerisk score``, against bare ``predict_proba``.

A tree model (the issue's premise: gradient-boosted trees) is trained on 200,000 demo offers,
then open demo offers are written as Parquet. The floor is the fitted pipeline's
``predict_proba`` on the same rows, already typed in memory (reading and validation not
timed). ``declinerisk score`` is timed as a whole command in its own process: start-up, model
load and verification, reading, validation, scoring, reasons, writing the CSV and the errors
file. Targets (reasons issue): without reasons >= 90% of the floor's rows per second, with
reasons >= 20%, and under 2 GiB peak at 5,000,000 rows.

Usage: ``python benchmarks/score_benchmark.py [--rows 1000000] [--big 5000000] [--threads 2]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from measure import demo_file, run_measured

TRAIN = """
import sys
from pathlib import Path
from declinerisk.config import TrainConfig
from declinerisk.mapping import ColumnMapping
from declinerisk.train import run
config = TrainConfig.model_validate({
    "models_dir": sys.argv[2], "tracking": {"enabled": False},
    "selection": {"families": ["gradient_boosting"]},
})
print(run(config, Path(sys.argv[1]), ColumnMapping()).folder)
"""

FLOOR = """
import sys, time
from pathlib import Path
from declinerisk.artifacts import load_model
from declinerisk.mapping import ColumnMapping
from declinerisk.sources import read_table
from declinerisk.validation import validate_offers
model = load_model(Path(sys.argv[2]))
features = model.manifest.feature_set
offers = validate_offers(read_table(Path(sys.argv[1])), ColumnMapping(), source="x",
                         purpose="score", features=features).frame[features.names]
start = time.perf_counter()
model.pipeline.predict_proba(offers)
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory(prefix="declinerisk-score-bench-") as tmp:
        work = Path(tmp)
        history = demo_file(200_000, 1, work / "offers.csv")
        model = run_measured([sys.executable, "-c", TRAIN, str(history), str(work / "m")], env)[2]
        model = model.strip().splitlines()[-1]
        offers = demo_file(args.rows, 2, work / "open.parquet", "--open")
        floor_s = float(run_measured([sys.executable, "-c", FLOOR, str(offers), model], env)[2])
        score = [sys.executable, "-m", "declinerisk", "score", "--model", model, "--show", "0"]
        plain = run_measured(
            [*score, str(offers), "--out", str(work / "a.csv"), "--no-reasons"], env
        )
        full = run_measured([*score, str(offers), "--out", str(work / "b.csv")], env)
        print(
            f"model: {model}; {args.rows:,} open offers, Parquet in, CSV out; "
            f"OMP_NUM_THREADS={args.threads}\n"
        )
        print("| path | rows | wall s | rows/s | vs floor | peak MiB |")
        print("|---|---:|---:|---:|---:|---:|")
        floor_rate = args.rows / floor_s
        print(
            f"| bare predict_proba (floor) | {args.rows:,} | {floor_s:.1f} | "
            f"{floor_rate:,.0f} | 100% | |"
        )
        for name, (wall, peak, _) in (("score --no-reasons", plain), ("score (reasons)", full)):
            rate = args.rows / wall
            print(
                f"| {name} | {args.rows:,} | {wall:.1f} | {rate:,.0f} | "
                f"{rate / floor_rate:.0%} | {peak:,.0f} |",
                flush=True,
            )
        if args.big:
            big = demo_file(args.big, 3, work / "open_big.parquet", "--open")
            (work / "open.parquet").unlink()
            wall, peak, _ = run_measured([*score, str(big), "--out", str(work / "c.csv")], env)
            print(
                f"| score (reasons) | {args.big:,} | {wall:.1f} | {args.big / wall:,.0f} | "
                f"{args.big / wall / floor_rate:.0%} | {peak:,.0f} |"
            )


if __name__ == "__main__":
    main()
