"""Check that feed_server is not the bottleneck: requests per second it sustains under latency.

Starts feed_server in its own process over a corpus, then drives it from this process with many
concurrent keep-alive connections spread over every address: conditional requests (all 304, the
all-304 refresh's traffic) and, optionally, full downloads. Two clients: ``raw`` (a minimal
asyncio HTTP/1.1 client, cheap enough to measure the server) and ``httpx`` (a real client; on a
2-core machine it tends to saturate before the server does). The request loop is bounded by
count and by time.

    python server_loadcheck.py --corpus /tmp/corpus --latency-ms 50 --concurrency 256
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def start_server(
    corpus: Path, port: int, hosts: int, latency_ms: float
) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "feed_server.py"),
            "--corpus",
            str(corpus),
            "--port",
            str(port),
            "--hosts",
            str(hosts),
            "--latency-ms",
            str(latency_ms),
            "--max-seconds",
            "600",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise RuntimeError(f"feed_server did not start: {line!r}")
    return proc, int(line.split()[1].split("=")[1])


async def raw_worker(
    host: str,
    port: int,
    paths: list[str],
    etags: dict[str, str],
    deadline: float,
    counts: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for path in paths:
            if time.monotonic() > deadline:
                return
            extra = f"If-None-Match: {etags[path]}\r\n" if path in etags else ""
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


async def run_raw(
    feeds: list[dict[str, str]],
    port: int,
    etags: dict[str, str],
    concurrency: int,
    total: int,
    seconds: float,
) -> tuple[int, float]:
    per_worker = max(1, total // concurrency)
    counts = [0]
    deadline = time.monotonic() + seconds
    tasks = []
    for w in range(concurrency):
        feed = feeds[w % len(feeds)]
        same_host = [f["path"] for f in feeds if f["host"] == feed["host"]]
        paths = [same_host[(w + i) % len(same_host)] for i in range(per_worker)]
        tasks.append(raw_worker(feed["host"], port, paths, etags, deadline, counts))
    started = time.monotonic()
    await asyncio.gather(*tasks)
    return counts[0], time.monotonic() - started


async def run_httpx(
    feeds: list[dict[str, str]],
    port: int,
    etags: dict[str, str],
    concurrency: int,
    total: int,
    seconds: float,
) -> tuple[int, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counts = [0]
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(w: int) -> None:
            # Each worker keeps to one host, as a per-host pool would; hopping hosts would make
            # the shared pool close and reopen connections and measure that instead.
            same_host = [f for f in feeds if f["host"] == feeds[w % len(feeds)]["host"]]
            for i in range(max(1, total // concurrency)):
                if time.monotonic() > deadline:
                    return
                feed = same_host[(w + i) % len(same_host)]
                url = f"http://{feed['host']}:{port}{feed['path']}"
                headers = {"If-None-Match": etags[feed["path"]]} if feed["path"] in etags else {}
                response = await client.get(url, headers=headers)
                response.read()
                counts[0] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return counts[0], time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--full", action="store_true", help="download bodies instead of 304s")
    args = parser.parse_args(argv)

    feeds = json.loads((args.corpus / "manifest.json").read_text())["feeds"]
    proc, port = start_server(args.corpus, args.port, args.hosts, args.latency_ms)
    try:
        etags: dict[str, str] = {}
        if not args.full:
            for feed in feeds:
                response = httpx.head(f"http://{feed['host']}:{port}{feed['path']}")
                etags[feed["path"]] = response.headers["etag"]
        httpx.get(f"http://127.0.0.2:{port}/__reset")
        runner = run_raw if args.client == "raw" else run_httpx
        done, elapsed = asyncio.run(
            runner(feeds, port, etags, args.concurrency, args.requests, args.seconds)
        )
        stats = httpx.get(f"http://127.0.0.2:{port}/__stats").json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ideal = args.concurrency / (args.latency_ms / 1000) if args.latency_ms else float("inf")
    print(
        f"{args.client} client, {args.concurrency} connections over {args.hosts} addresses, "
        f"latency {args.latency_ms:g} ms, {'full bodies' if args.full else 'all 304'}: "
        f"{done} requests in {elapsed:.2f} s = {done / elapsed:.0f} req/s "
        f"(latency-bound ceiling {ideal:.0f} req/s)"
    )
    print("server stats:", json.dumps(stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
