"""Load on ``afsreg serve``: requests per second and p50/p99 latency, on 127.0.0.1 only.

    python -m bench.web                       # 100 models x 10 versions, 2,000 requests per case
    python -m bench.web --requests 200        # the smoke run CI makes

Generates a registry (bench.generate), starts the real ``afsreg serve`` on a
free loopback port, and for each case sends a bounded number of requests
from a few keep-alive client threads (bounded in count and in time: it stops
after --seconds per case whatever happens), then stops the server it started.
Figures, not a test: nothing fails on a slow number.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.generate import generate

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"afsreg serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("afsreg serve did not answer in time")


def load(
    port: int, paths: list[str], requests: int, threads: int, seconds: float
) -> dict[str, float]:
    """Send ``requests`` GETs spread over ``threads`` connections; latency of each in ms."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    per_thread = requests // threads

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        for i in range(per_thread):
            if time.monotonic() > deadline:
                break
            path = paths[(offset + i) % len(paths)]
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n * 7,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--versions-per-model", type=int, default=10)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000, help="per case")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="time limit per case")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="afsreg-bench-web-") as tmp:
        root = Path(tmp) / "registry"
        generate(root, args.models, args.versions_per_model, args.commits)
        listing = subprocess.run(
            ["git", "-C", str(root), "ls-tree", "--name-only", "HEAD", "models/"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        names = sorted(line.split("/")[1] for line in listing.split())
        port = free_port()
        afsreg = str(Path(sys.executable).parent / "afsreg")
        proc = subprocess.Popen(
            [afsreg, "serve", "--host", HOST, "--port", str(port), "--root", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "AFSREG_DEBUG": ""},
        )
        try:
            wait_ready(port, proc)
            cases = {
                "resolve (JSON)": [f"/api/resolve?ref={n}@latest" for n in names],
                "model page (HTML)": [f"/models/{n}/index.html" for n in names],
                "MLflow get version": [
                    f"/api/2.0/mlflow/model-versions/get?name={n}&version=1" for n in names
                ],
            }
            # One untimed pass so each page's history and lineage are built once.
            load(port, [p for ps in cases.values() for p in ps], len(names) * 3, 1, args.seconds)
            results = {
                case: load(port, paths, args.requests, args.threads, args.seconds)
                for case, paths in cases.items()
            }
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"afsreg serve, {len(names)} models x {args.versions_per_model} versions, "
        f"{args.threads} client threads, {os.cpu_count()} cores, 127.0.0.1"
    )
    print(f"{'case':<22} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for case, r in results.items():
        print(
            f"{case:<22} {r['requests']:>8.0f} {r['errors']:>6.0f} {r['rps']:>8.1f} "
            f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
