"""Rows per second and peak memory of scoring, against the shipped model's bare ``predict_proba``.

The shipped model (an EBM, default training config) is trained on 200,000 demo offers, then
open demo offers are written as Parquet. The floor is the shipped model's public
``predict_proba`` (InterpretML's own, native code) on the same rows, already typed in memory.
Measured against it in one run:

* the kernel in memory with reasons and what-ifs (``Scorer.score``: probabilities, bands,
  effects of every input and pair, reason selection, sentences, actions, what-ifs), the same
  rows already typed: the model-core issue's target is >= 1.0x the floor's rows per second;
* ``declinerisk score`` as a whole command in its own process (start-up, model load and
  canary, reading, validation, scoring, reasons, writing the CSV and the errors file), with
  and without reasons, and at 5,000,000 rows for peak memory (target under 2 GiB).

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
from declinerisk.train.config import TrainConfig
from declinerisk.data.mapping import ColumnMapping
from declinerisk.train.run import run
config = TrainConfig.model_validate({"models_dir": sys.argv[2], "tracking": {"enabled": False}})
print(run(config, Path(sys.argv[1]), ColumnMapping()).folder)
"""

FLOOR = """
import sys, time
from pathlib import Path
from declinerisk.artifacts.folder import load_model
from declinerisk.data.mapping import ColumnMapping
from declinerisk.scoring.scorer import Scorer
from declinerisk.data.sources import read_table
from declinerisk.data.validation import validate_offers
model = load_model(Path(sys.argv[2]))
features = model.manifest.feature_set
offers = validate_offers(read_table(Path(sys.argv[1])), ColumnMapping(), source="x",
                         purpose="score", features=features).frame
scorer = Scorer(model)
scorer.score(offers.head(1000))  # warm caches of both paths alike
model.model.predict_proba(offers.head(1000))
start = time.perf_counter()
model.model.predict_proba(offers[features.names])
floor = time.perf_counter() - start
start = time.perf_counter()
scorer.score(offers)
kernel = time.perf_counter() - start
print(floor, kernel)
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
        timed = run_measured([sys.executable, "-c", FLOOR, str(offers), model], env)[2]
        floor_s, kernel_s = map(float, timed.strip().splitlines()[-1].split())
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
        kernel_rate = args.rows / kernel_s
        print(
            f"| kernel with reasons and what-ifs, in memory | {args.rows:,} | {kernel_s:.1f} | "
            f"{kernel_rate:,.0f} | {kernel_rate / floor_rate:.0%} | |"
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
