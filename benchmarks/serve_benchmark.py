"""Requests per second and latency: our service against ``mlflow models serve``, same model.

A model is trained on 50,000 demo offers. Three servers run on 127.0.0.1, one worker each,
all pinned to CPU 0 (``taskset``) while ``wrk`` runs on CPU 1: ``declinerisk serve`` (scores
with reasons, writes every score to its SQLite store), ``mlflow models serve --env-manager
local`` of the same fitted estimator logged in MLflow's sklearn flavour
(``pyfunc_predict_fn="predict_proba"``, cloudpickle; probabilities only), and a no-op
``async def`` FastAPI route (the HTTP floor). ``wrk`` drives each in turn, alternating servers
within every (payload, concurrency) cell, 20 seconds a run, at 1 and 16 connections, with
1-offer and 100-offer requests. With ``--rounds N`` each cell is N such turns (the order
rotated each round) and the table gives each server's median run and the median of the
ratios taken within each round: single runs on this machine move by up to 25%. Afterwards
the store's row count is checked against the offers scored: every score must be in the store.

Needs ``wrk`` (Debian: ``apt-get install wrk``). Traffic goes to 127.0.0.1 only, bounded by
the run time. Usage: ``python benchmarks/serve_benchmark.py [--seconds 20] [--rounds 1]
[--model DIR]`` (``--model``: serve a model folder already trained with the default config
instead).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from measure import demo_file, free_port, train_model

KEY = "bench-key"
SERVER_CPU, LOAD_CPU = "0", "1"
# Logs the shipped estimator (model.joblib of the model folder) in MLflow's sklearn flavour.
LOG_SKLEARN = """
import sys, joblib, mlflow, mlflow.sklearn
estimator = joblib.load(sys.argv[1])
with mlflow.start_run():
    mlflow.sklearn.log_model(
        estimator,
        name="model",
        serialization_format="cloudpickle",
        pyfunc_predict_fn="predict_proba",
        registered_model_name="declinerisk-sklearn",
    )
"""
NOOP_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.post("/noop")
async def noop() -> dict[str, bool]:
    return {"ok": True}
"""


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"server at {url} did not come up")


@contextmanager
def _server(command: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=log.parent,  # MLflow writes ./mlruns artifacts: keep them in the temp folder
        )
        try:
            _wait(ready)
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _offers(count: int) -> list[dict[str, object]]:
    from declinerisk.data.synthetic import demo_offers

    frame = demo_offers(count, seed=5, open_=True)
    frame = frame.drop(columns=["offer_date", "true_decline_probability", "gender", "age_band"])
    records: list[dict[str, object]] = json.loads(frame.to_json(orient="records"))
    return records


def _wrk_script(path: Path, body: str, headers: dict[str, str]) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _wrk(url: str, script: Path, connections: int, seconds: int) -> tuple[float, float, float, int]:
    """Requests per second, p50 and p99 latency in milliseconds, and failed requests."""
    threads = min(connections, 2)
    done = subprocess.run(
        [
            "taskset",
            "-c",
            LOAD_CPU,
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    failed = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed += int(non_2xx.group(1)) if non_2xx else 0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rate, _latency(out, "50%"), _latency(out, "99%"), failed


def _latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--rounds",
        type=at_least_one,
        default=1,
        help="runs of each server per cell, taking turns; the table gives medians",
    )
    parser.add_argument(
        "--model", type=Path, help="a trained model folder to serve (default: train one)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk: apt-get install wrk")
    bin_dir = str(Path(sys.executable).parent)
    with (
        tempfile.TemporaryDirectory(prefix="declinerisk-serve-bench-") as tmp,
        ExitStack() as stack,
    ):
        work = Path(tmp)
        tracking = f"sqlite:///{work}/mlflow.db"
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "MLFLOW_TRACKING_URI": tracking,
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        }
        if args.model is None:
            demo_file(50_000, 1, work / "offers.csv", cwd=work)
            config = work / "config.toml"
            config.write_text(f'[tracking]\ntracking_uri = "{tracking}"\n')
            model = train_model(
                work / "offers.csv", work / "models", "--config", str(config), env=env, cwd=work
            )
        else:
            model = args.model.resolve()
        subprocess.run(
            [sys.executable, "-c", LOG_SKLEARN, str(model / "model.joblib")],
            env=env,
            cwd=work,
            check=True,
        )
        ours, theirs, noop = free_port(), free_port(), free_port()
        (work / "noop_app.py").write_text(NOOP_APP)
        ours_env = {
            **env,
            "DECLINERISK_MODELS_DIR": str(model.parent),
            "DECLINERISK_MODEL": str(model),
            "DECLINERISK_DATABASE_URL": f"sqlite:///{work}/store.db",
            "DECLINERISK_SPOOL_PATH": str(work / "spool.jsonl"),
            "DECLINERISK_API_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest(),
        }
        stack.enter_context(
            _server(
                [
                    sys.executable,
                    "-m",
                    "declinerisk",
                    "serve",
                    "--port",
                    str(ours),
                    "--log-level",
                    "warning",
                ],
                ours_env,
                f"http://127.0.0.1:{ours}/readyz",
                work / "ours.log",
            )
        )
        stack.enter_context(
            _server(
                [
                    f"{bin_dir}/mlflow",
                    "models",
                    "serve",
                    "-m",
                    "models:/declinerisk-sklearn/1",
                    "--env-manager",
                    "local",
                    "--port",
                    str(theirs),
                    "--host",
                    "127.0.0.1",
                    "--workers",
                    "1",
                ],
                env,
                f"http://127.0.0.1:{theirs}/ping",
                work / "mlflow.log",
            )
        )
        stack.enter_context(
            _server(
                [
                    f"{bin_dir}/uvicorn",
                    "noop_app:app",
                    "--port",
                    str(noop),
                    "--log-level",
                    "warning",
                    "--app-dir",
                    str(work),
                ],
                env,
                f"http://127.0.0.1:{noop}/docs",
                work / "noop.log",
            )
        )

        rows: list[str] = []
        for size in (1, 100):
            offers = _offers(size)
            our_body = json.dumps({"offers": offers})
            # The sklearn flavour takes the estimator's own input columns, nothing else.
            columns = [c for c in offers[0] if c != "offer_id"]
            their_body = json.dumps(
                {
                    "dataframe_split": {
                        "columns": columns,
                        "data": [[o[c] for c in columns] for o in offers],
                    }
                }
            )
            targets = {
                "declinerisk (reasons + store)": (
                    f"http://127.0.0.1:{ours}/v1/scores",
                    _wrk_script(
                        work / f"ours{size}.lua",
                        our_body,
                        {"Content-Type": "application/json", "X-API-Key": KEY},
                    ),
                ),
                "mlflow serve (sklearn)": (
                    f"http://127.0.0.1:{theirs}/invocations",
                    _wrk_script(
                        work / f"mlflow{size}.lua", their_body, {"Content-Type": "application/json"}
                    ),
                ),
                "no-op FastAPI route": (
                    f"http://127.0.0.1:{noop}/noop",
                    _wrk_script(
                        work / f"noop{size}.lua", our_body, {"Content-Type": "application/json"}
                    ),
                ),
            }
            for connections in (1, 16):
                rounds = _rounds(targets, connections, args.seconds, args.rounds)
                rows += _cell_rows(rounds, size, connections)
                if any(r["declinerisk (reasons + store)"][3] for r in rounds):
                    sys.exit("declinerisk answered some requests with errors")
        print(
            "\n| server | offers/request | connections | requests/s | offers/s | p50 ms | p99 ms "
            "| failed | vs mlflow | CPU/request vs no-op |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))
        _check_store(work / "store.db", f"http://127.0.0.1:{ours}")


Run = tuple[float, float, float, int]  # requests/s, p50 ms, p99 ms, failed requests


def _rounds(
    targets: dict[str, tuple[str, Path]], connections: int, seconds: int, rounds: int
) -> list[dict[str, Run]]:
    """Each server's run in each round; the servers take turns, in a rotated order each
    round, so a slow spell of the machine falls on all of them."""
    results: list[dict[str, Run]] = []
    names = list(targets)
    for round_ in range(rounds):
        shift = round_ % len(names)
        runs: dict[str, Run] = {}
        for name in names[shift:] + names[:shift]:
            url, script = targets[name]
            _wrk(url, script, connections, 3)  # warm-up
            runs[name] = _wrk(url, script, connections, seconds)
        if rounds > 1:
            print(
                f"  round {round_ + 1}, {connections} connections: "
                + ", ".join(f"{name} {run[0]:,.0f}/s" for name, run in runs.items()),
                flush=True,
            )
        results.append(runs)
    return results


def _cell_rows(rounds: list[dict[str, Run]], size: int, connections: int) -> list[str]:
    """One table row per server: its median run by requests/s (the lower middle one of an
    even count), the failed requests of all its runs, and the median over rounds of the
    ratios taken within each round (the ratios the acceptance lines name)."""
    rows = []
    for name in rounds[0]:
        rate, p50, p99, _ = sorted((r[name] for r in rounds), key=lambda run: run[0])[
            (len(rounds) - 1) // 2
        ]
        vs_mlflow = statistics.median(r[name][0] / r["mlflow serve (sklearn)"][0] for r in rounds)
        vs_noop = statistics.median(r["no-op FastAPI route"][0] / r[name][0] for r in rounds)
        failed = sum(r[name][3] for r in rounds)
        rows.append(
            f"| {name} | {size} | {connections} | {rate:,.0f} | {rate * size:,.0f} "
            f"| {p50:.1f} | {p99:.1f} | {failed} | {vs_mlflow:.1f}x | {vs_noop:.2f}x |"
        )
        print(rows[-1], flush=True)
    return rows


def _check_store(database: Path, base_url: str) -> None:
    """Every score answered is in the store once the recorder has caught up."""
    import sqlite3

    metrics = urllib.request.urlopen(f"{base_url}/metrics", timeout=10).read().decode()
    scored = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("declinerisk_scores_total{")
    )
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline:
        with sqlite3.connect(database) as connection:
            stored = connection.execute("SELECT COUNT(*) FROM score_records").fetchone()[0]
        if stored >= scored:
            break
        time.sleep(1)
    print(f"\nscored {scored:,.0f} offers; {stored:,} score records in the store")
    if stored != scored:
        sys.exit("the store does not hold every score")


if __name__ == "__main__":
    main()
