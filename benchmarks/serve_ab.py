"""Two checkouts' services head to head: the same requests, alternating, on the same core.

    python benchmarks/serve_ab.py --old /path/to/old/checkout --new . --model models/latest

Each checkout's ``.venv/bin/declinerisk serve`` runs on CPU 0 with its own fresh SQLite store
(serve_benchmark.py's way of starting, waiting for and stopping a server);
wrk (CPU 1) sends the same body at 16 connections to one, then the other, for ``--rounds``
rounds (the order flips every round). This machine's runs of one server move by up to 25%
between runs (serve_benchmark.py's tables), more than most changes; alternating short runs
compare two versions under the same conditions. Prints every run, the means and new/old.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from measure import free_port
from serve_benchmark import _offers, _server, _wrk, _wrk_script, at_least_one

KEY = "ab-bench-key"


def _command_and_env(
    checkout: Path, model: Path, work: Path, name: str, port: int
) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "DECLINERISK_MODELS_DIR": str(model.parent),
        "DECLINERISK_MODEL": str(model),
        "DECLINERISK_DATABASE_URL": f"sqlite:///{work}/{name}.db",
        "DECLINERISK_SPOOL_PATH": str(work / f"{name}.spool.jsonl"),
        "DECLINERISK_API_KEY_HASHES": hashlib.sha256(KEY.encode()).hexdigest(),
    }
    command = [str(checkout / ".venv/bin/declinerisk"), "serve", "--port", str(port)]
    return [*command, "--log-level", "warning"], env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="checkout with its own .venv")
    parser.add_argument("--new", type=Path, required=True, help="checkout with its own .venv")
    parser.add_argument("--model", type=Path, required=True, help="a model folder")
    parser.add_argument("--offers", type=int, default=1, help="offers per request")
    parser.add_argument("--rounds", type=at_least_one, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    rates: dict[str, list[float]] = {name: [] for name in trees}
    # Kept after the run (the stores are removed): the servers' logs say why one did not
    # come up.
    work = Path(tempfile.mkdtemp(prefix="declinerisk-ab-"))
    print(f"server logs in {work}", flush=True)
    body = json.dumps({"offers": _offers(args.offers)})
    headers = {"Content-Type": "application/json", "X-API-Key": KEY}
    script = _wrk_script(work / "body.lua", body, headers)
    ports = {name: free_port() for name in trees}
    with ExitStack() as servers:  # each started on CPU 0 and ready; stopped however this ends
        for name, tree in trees.items():
            command, env = _command_and_env(tree, args.model.resolve(), work, name, ports[name])
            ready = f"http://127.0.0.1:{ports[name]}/readyz"
            servers.enter_context(_server(command, env, ready, work / f"{name}.log"))
        for round_ in range(args.rounds):
            for name in list(trees)[:: 1 if round_ % 2 == 0 else -1]:
                url = f"http://127.0.0.1:{ports[name]}/v1/scores"
                _wrk(url, script, 16, 2)  # warm-up
                rate, _, _, failed = _wrk(url, script, 16, args.seconds)
                if failed:
                    sys.exit(f"{name}: {failed} failed requests")
                rates[name].append(rate * args.offers)
                print(f"round {round_ + 1} {name}: {rate * args.offers:,.0f} offers/s", flush=True)
    for store in work.glob("*.db*"):  # a run of 100-offer requests stores over a gigabyte
        store.unlink()
    means = {name: sum(values) / len(values) for name, values in rates.items()}
    print("\n| checkout | offers/request | connections | runs (offers/s) | mean |")
    print("|---|---:|---:|---|---:|")
    for name, values in rates.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {name} ({trees[name]}) | {args.offers} | 16 | {runs} | {means[name]:,.0f} |")
    print(f"\nnew / old: {means['new'] / means['old']:.3f}")


if __name__ == "__main__":
    main()
