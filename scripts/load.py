"""Bounded load on the REST API: N concurrent clients for T seconds against /v1/ask and /v1/search.

Loopback only, and it stops by itself. Prints throughput, p50/p95/p99 latency and error counts per
client count; `--out docs/BENCHMARKS.md` replaces the "API load" section there.

    .venv/bin/python scripts/load.py --serve var/index --clients 1,4,16 --seconds 20 --out docs/BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import httpx
from benchmarks_md import write_section

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = ["What progress has been made on vetting since 2014?", "Is Hampshire re-vetting its staff?",
             "Are refused gifts recorded in the register?", "What did HMIC recommend to Cambridgeshire?",
             "How many public complaints did Cambridgeshire receive?", "Does the ACU have the capacity to be proactive?",
             "What is the Code of Ethics?", "and in Hampshire?"]


@dataclass
class Run:
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    server_errors: int = 0
    throughput: float = 0.0
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def run(url: str, clients: int, seconds: float, key: str = "") -> Run:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    times: dict[str, list[float]] = {"ask": [], "search": []}
    result = Run(clients, seconds)

    def client(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as c:
            i = n * 3  # clients start at different questions
            while time.perf_counter() < deadline:
                # a text the server has not seen (it remembers question vectors): each request embeds one
                q = f"{QUESTIONS[i % len(QUESTIONS)]} ({n}.{i})"
                endpoint = "ask" if i % 2 == 0 else "search"
                body = {"question": q}
                if endpoint == "ask" and QUESTIONS[i % len(QUESTIONS)].startswith("and "):  # a follow-up carries its conversation
                    body["history"] = ["Are refused gifts recorded?"]
                t = time.perf_counter()
                try:
                    r = c.post(f"/v1/{endpoint}", json=body)
                    status, err = r.status_code, None if r.status_code < 400 else r.text[:200]
                except httpx.HTTPError as e:
                    status, err = 0, f"{type(e).__name__}: {e}"
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    result.requests += 1
                    times[endpoint].append(dt)
                    if err:
                        result.errors += 1
                        result.server_errors += status >= 500
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{endpoint} {status}: {err}")
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    result.throughput = result.requests / elapsed
    for name, values in times.items():
        result.latency_ms[name] = {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
                                   "p99": percentile(values, 99)}
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, log: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HMIQA_API_KEYS", "HMIQA_ADMIN_KEYS")}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--index", str(index), "--port",
                             str(port), "--workers", str(workers)], cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server was not ready in 180 s")


def markdown(runs: list[Run], workers: int = 1) -> str:
    lines = ["## API load", "",
             f"Run {date.today().isoformat()} by `scripts/load.py` on {platform.machine()}, {os.cpu_count()} cores: one "
             f"`hmiqa serve` ({workers} worker process{'es' if workers > 1 else ''}) over the seed index, clients on the same machine over loopback, "
             "alternating `/v1/ask` (extractive) and `/v1/search` (hybrid, k=8), every question a text the server has "
             "not seen (a numbered variant), so each request embeds one. Requests run side by side (readers share "
             "the index); the clients run on the same two cores as the server.", "",
             "| clients | seconds | requests | req/s | ask p50 / p95 / p99 ms | search p50 / p95 / p99 ms | errors | 5xx |",
             "|---:|---:|---:|---:|---|---|---:|---:|"]
    for r in runs:
        a, s = r.latency_ms["ask"], r.latency_ms["search"]
        lines.append(f"| {r.clients} | {r.seconds:.0f} | {r.requests} | {r.throughput:.1f} | "
                     f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f} | {s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} | "
                     f"{r.errors} | {r.server_errors} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="API base URL on loopback (default: the server --serve starts)")
    ap.add_argument("--serve", type=Path, metavar="INDEX", help="start `hmiqa serve` on this index for the run")
    ap.add_argument("--clients", default="1,4,16", help="comma-separated concurrent client counts (default 1,4,16)")
    ap.add_argument("--seconds", type=float, default=20, help="seconds per client count (default 20, at most 300)")
    ap.add_argument("--key", default="", help="API key, if the server needs one")
    ap.add_argument("--workers", type=int, default=1, help="worker processes of the server --serve starts (default 1)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    ap.add_argument("--out", type=Path, help="replace the 'API load' section of this Markdown file")
    args = ap.parse_args()
    if not 0 < args.seconds <= 300:
        ap.error("--seconds must be between 0 and 300: this is a bounded load")
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    if not counts or any(not 1 <= c <= 64 for c in counts):
        ap.error("--clients takes counts from 1 to 64")
    proc = None
    if args.serve:
        proc, url = start_server(args.serve, Path(args.serve) / "load-server.log", args.workers)
    elif args.url:
        url = args.url.rstrip("/")
    else:
        ap.error("give --url of a running server or --serve INDEX")
    if urlparse(url).hostname not in LOOPBACK:
        ap.error(f"{url} is not on loopback: this script only loads the machine it runs on")
    try:
        runs = [run(url, c, args.seconds, args.key) for c in counts]
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    text = markdown(runs, args.workers if args.serve else 1)
    print(text)
    for r in runs:
        for e in r.error_samples:
            print(f"error ({r.clients} clients): {e}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))
    if args.out:
        write_section(args.out, "API load", text)
    return 1 if any(r.errors for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
