"""Rows per second and peak memory of ``declinerisk score``: in-process against Spark local[2].

Both read the same Parquet file of open demo offers and write Parquet (in-process: one file;
Spark: a folder), with reasons, what-ifs and the errors file, each as a whole command in a
process of its own (start-up, model load, reading, validation, scoring, writing). The
baseline is the in-process path. Peak memory is of the whole process tree, sampled from
/proc every 0.1 s: for Spark that is the Python driver, its JVM and the Python workers.

The input is written in row groups of ``--row-group`` rows: Spark splits a Parquet file only
between row groups, so a file of one group is read by one task (one core).

Usage: ``python benchmarks/spark_benchmark.py [--rows 1000000 5000000] [--model DIR]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from measure import demo_file

TRAIN = """
import sys
from pathlib import Path
from declinerisk.train.config import TrainConfig
from declinerisk.data.mapping import ColumnMapping
from declinerisk.train.run import run
config = TrainConfig.model_validate({"models_dir": sys.argv[2], "tracking": {"enabled": False}})
print(run(config, Path(sys.argv[1]), ColumnMapping()).folder)
"""


def tree_rss_mib(root: int) -> float:
    """Resident memory of ``root`` and every process below it, in MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while being read
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def run_tree_measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak process-tree RSS (MiB) of ``command``; exits if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_rss_mib(process.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{(process.stderr.read() or '')[-3000:]}")
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--row-group", type=int, default=131_072)
    parser.add_argument("--model", help="a trained model folder (default: train one)")
    args = parser.parse_args()
    # One thread per process: the in-process path is single-threaded, Spark runs two tasks.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="declinerisk-spark-bench-") as tmp:
        work = Path(tmp)
        model = args.model
        if model is None:
            history = demo_file(200_000, 1, work / "offers.csv")
            trained = subprocess.run(
                [sys.executable, "-c", TRAIN, str(history), str(work / "m")],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            model = trained.stdout.strip().splitlines()[-1]
        score = [sys.executable, "-m", "declinerisk", "score", "--model", model, "--show", "0"]
        print(
            f"model: {model}; open offers, Parquet in (row groups of {args.row_group:,}), "
            "Parquet out, with reasons\n"
        )
        print("| path | rows | wall s | rows/s | vs in-process | peak MiB (process tree) |")
        print("|---|---:|---:|---:|---:|---:|")
        for rows in args.rows:
            offers = demo_file(rows, 2, work / "open.parquet", "--open")
            table = pq.read_table(offers)
            pq.write_table(table, offers, row_group_size=args.row_group)
            del table
            local = run_tree_measured([*score, str(offers), "--out", str(work / "a.parquet")], env)
            spark = run_tree_measured(
                [*score, str(offers), "--engine", "spark", "--out", str(work / "b.parquet")],
                env,
            )
            base = rows / local[0]
            for name, (wall, peak) in (("in-process", local), ("Spark local[2]", spark)):
                rate = rows / wall
                print(
                    f"| {name} | {rows:,} | {wall:.1f} | {rate:,.0f} | {rate / base:.2f}x | "
                    f"{peak:,.0f} |",
                    flush=True,
                )
            offers.unlink()


if __name__ == "__main__":
    main()
