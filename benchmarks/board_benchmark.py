"""How long the board page takes to render server-side for 2,000 open offers (target: 300 ms).

A small model is trained (``tests/fast_config.toml``: the page's cost does not depend on the
model's quality), the app runs in-process with the board on, the 2,000 demo open offers
(``declinerisk demo-data --rows 2000 --seed 8 --open``) are scored into a fresh SQLite store
through the board's upload, and ``GET /board`` is timed end to end through the ASGI app (store
query, template, response), with and without a filter. Prints a table.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/board_benchmark.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from measure import demo_file, train_model

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
KEY = "benchmark-board-key-0123456789"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from fastapi.testclient import TestClient

    from declinerisk_service.app import create_app
    from declinerisk_service.auth import key_digest
    from declinerisk_service.settings import ServiceSettings

    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        past = demo_file(5000, 7, work / "offers.csv", cwd=ROOT)
        open_ = demo_file(2000, 8, work / "open.csv", "--open", cwd=ROOT)
        models = work / "models"
        config = str(ROOT / "tests" / "fast_config.toml")
        train_model(past, models, "--config", config, env=env, cwd=work)
        settings = ServiceSettings(
            models_dir=models,
            model=str(models / "latest"),
            database_url=f"sqlite:///{work}/store.db",
            spool_path=work / "spool.jsonl",
            api_key_hashes=[f"{key_digest(KEY)}:board"],
            session_secret="benchmark-secret-" + "x" * 32,
            board_uploads_dir=work / "uploads",
            max_body_bytes=16 << 20,
        )
        with TestClient(create_app(settings)) as client:
            token = _csrf(client.get("/board/signin").text)
            client.post("/board/signin", data={"api_key": KEY, "csrf_token": token})
            token = _csrf(client.get("/board/upload").text)
            with open_.open("rb") as handle:
                client.post(
                    "/board/upload", data={"csrf_token": token}, files={"file": ("o.csv", handle)}
                )
            rows = []
            for label, params in (
                ("all 2,000 open offers", {}),
                ("engineering, high band", {"department": "engineering", "band": "high"}),
            ):
                page = client.get("/board", params=params)
                shown = len(re.findall(r'<li class="offer', page.text))
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    client.get("/board", params=params)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                p90 = times[int(0.9 * (len(times) - 1))]
                rows.append((label, shown, len(page.content), statistics.median(times), p90))
            query, render = _parts(settings.database_url, args.repeat)
    print(f"GET /board, {args.repeat} requests each, in-process (target {TARGET_MS:.0f} ms)")
    print(f"{'page':<26} {'offers':>7} {'HTML KiB':>9} {'median ms':>10} {'p90 ms':>8}")
    for label, shown, size, median, p90 in rows:
        print(f"{label:<26} {shown:>7} {size / 1024:>9.0f} {median:>10.1f} {p90:>8.1f}")
    print(f"of the full page: store query {query:.1f} ms, template {render:.1f} ms (medians)")
    return 0 if rows[0][3] < TARGET_MS else 1


def _parts(url: str, repeat: int) -> tuple[float, float]:
    """Median ms of the store query and of the template alone, for the full list."""
    from declinerisk.store import open_offers
    from declinerisk.store.database import open_store
    from declinerisk_service.board.app import templates

    store = open_store(url)
    template = templates().get_template("board.html")
    queries, renders = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        offers = open_offers.all_open_offers(store)
        queries.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        template.render(
            csrf="x",
            signed_in=True,
            offers=offers,
            departments=open_offers.departments(offers),
            bands=("high", "medium", "low"),
            chosen=open_offers.Filters(),
        )
        renders.append((time.perf_counter() - start) * 1000)
    store.engine.dispose()
    return statistics.median(queries), statistics.median(renders)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


if __name__ == "__main__":
    raise SystemExit(main())
