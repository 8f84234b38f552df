"""Load test: the real server with its SQLite store under steady concurrent traffic.

Starts ``declinerisk serve`` on 127.0.0.1 with a model trained on demo data, sends single-offer
``POST /v1/scores`` requests from ``--concurrency`` clients for ``--seconds`` seconds (bounded
in time, loopback only), then stops the server (which flushes its store writer) and checks:
zero errors, one store row for every 200, and resident memory at the end within 10% of what
it was after the warm-up. Prints a table; exits non-zero when a check fails.

Usage: ``python benchmarks/load_test.py [--seconds 60] [--concurrency 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from measure import demo_file, free_port, train_model

KEY = "load-key"
WARM_UP_SECONDS = 5.0


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _client(url: str, stop_at: float, tally: Tally, n: int) -> None:
    headers = {"X-API-Key": KEY}
    async with httpx.AsyncClient(timeout=10.0) as client:
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            body = {
                "offers": [
                    {
                        "offer_id": f"c{n}-{i}",
                        "days_in_process": 5 + i % 60,
                        "contacts_per_week": 1.5,
                        "comp_delta_pct": -3.0,
                        "competing_offers": i % 4,
                        "department": "sales",
                    }
                ]
            }
            start = time.perf_counter()
            try:
                response = await client.post(url, json=body, headers=headers)
            except httpx.HTTPError:
                tally.failed += 1
                continue
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                tally.ok += 1
            else:
                tally.failed += 1


async def _load(url: str, seconds: float, concurrency: int, tally: Tally) -> None:
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_client(url, stop_at, tally, n) for n in range(concurrency)))


def run_load_test(
    seconds: float, concurrency: int, work: Path, *train_args: str
) -> dict[str, float]:
    """Run the whole test in ``work``; returns its figures (raises nothing, checks after).

    ``train_args`` go to the training command (tests pass a smaller config)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    demo_file(20_000, 3, work / "offers.csv", cwd=work)
    train_model(
        work / "offers.csv", work / "models", "--no-tracking", *train_args, env=env, cwd=work
    )
    port = free_port()
    store = work / "store.db"
    server_env = {
        **env,
        "DECLINERISK_MODELS_DIR": str(work / "models"),
        "DECLINERISK_MODEL": str(work / "models" / "latest"),
        "DECLINERISK_DATABASE_URL": f"sqlite:///{store}",
        "DECLINERISK_SPOOL_PATH": str(work / "spool.jsonl"),
        "DECLINERISK_API_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest(),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "declinerisk",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=server_env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/v1/scores"
        warm = Tally()
        asyncio.run(_load(url, WARM_UP_SECONDS, concurrency, warm))
        rss_warm = _rss_mib(server.pid)
        tally = Tally()
        asyncio.run(_load(url, seconds, concurrency, tally))
        rss_end = _rss_mib(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: the store writer flushes
        server.wait(timeout=60)
    from declinerisk.store.database import open_store

    opened = open_store(f"sqlite:///{store}")
    rows = opened.count_scores()
    opened.engine.dispose()
    latencies = sorted(tally.latencies) or [float("nan")]
    return {
        "seconds": seconds,
        "concurrency": concurrency,
        "requests": tally.ok + tally.failed + warm.ok + warm.failed,
        "successes": tally.ok + warm.ok,
        "errors": tally.failed + warm.failed,
        "store_rows": rows,
        "rss_after_warm_up_mib": rss_warm,
        "rss_at_end_mib": rss_end,
        "requests_per_second": tally.ok / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def failures(figures: dict[str, float]) -> list[str]:
    found = []
    if figures["errors"]:
        found.append(f"{figures['errors']:.0f} requests failed")
    if figures["store_rows"] != figures["successes"]:
        found.append(
            f"{figures['store_rows']:.0f} store rows for {figures['successes']:.0f} "
            "successful scores"
        )
    if figures["rss_at_end_mib"] > 1.10 * figures["rss_after_warm_up_mib"]:
        found.append("resident memory grew more than 10% after warm-up")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="declinerisk-load-") as tmp:
        figures = run_load_test(args.seconds, args.concurrency, Path(tmp))
    print("| figure | value |\n|---|---:|")
    for name, value in figures.items():
        print(f"| {name} | {value:,.1f} |")
    problems = failures(figures)
    print("\n" + ("FAILED: " + "; ".join(problems) if problems else "all checks passed"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
