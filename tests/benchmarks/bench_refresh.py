"""Refresh benchmark: Gloss, newsboat and lemon24's reader side by side on one loopback corpus.

One run: build (or reuse) a seeded corpus of N feeds (feedgen.py), serve it from a separate
process over 40+ loopback addresses with a fixed latency (feed_server.py), then for each tool and
each repeat, from fresh state (new library/cache, new HOME):

  setup (not timed)      subscribe to every feed: OPML import, urls file, add_feed
  refresh 1 (timed)      every feed is new: download, parse, store
  refresh 2 (timed)      nothing changed: a tool that sent back the validators gets 304s
  refresh 3 (timed)      the same again (newsboat keeps validators only from its 2nd fetch on)

Each timed refresh records wall time, the peak resident memory of the tool's whole process tree
(all descendants' RSS summed, sampled every 20 ms, and never below the largest single process's
ru_maxrss from wait4), and what the server saw (requests, 200s, 304s, images, connections).
After refresh 1 the tool's own store is read back to count feeds and entries it kept.

Prints a Markdown table of medians over the repeats, the machine, and the targets check, and
writes the raw results to JSON. See README.md beside this file.

    python tests/benchmarks/bench_refresh.py --n 1000 --latency-ms 50 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import feedgen  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
REPO = HERE.parents[1]
DEFAULT_READER_VENV = Path("/work/bench-venvs/lemon24-reader")
NEWSBOAT_INSTALL = "apt-get update && apt-get install -y newsboat"


# ---------------------------------------------------------------- measuring a process tree


def _process_table() -> dict[int, tuple[int, int]]:
    """pid → (ppid, rss bytes) for every process, from /proc/<pid>/stat."""
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(name)] = (int(fields[1]), int(fields[21]) * PAGE_SIZE)
    return table


def tree_rss(root: int) -> int:
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
        stack.extend(children.get(pid, ()))
    return total


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes, whole tree
    cpu_seconds: float  # user + system of the tree (reaped descendants included)
    load_before: float  # 1-minute load average as the run started: other work on the machine?
    exit_code: int
    timed_out: bool
    output_tail: str
    server: dict[str, object] = field(default_factory=dict)
    # CPU seconds the machine spent on anything but this tool, the server and this script while
    # the refresh ran: other people's work that slowed the wall time down. Near 0 is a clean run.
    foreign_cpu_seconds: float = 0.0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle, all cores, since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for_quiet(max_seconds: float, busy_limit: float = 0.25) -> float:
    """Wait (bounded) until other work on the machine uses under ``busy_limit`` cores.

    Returns the busy fraction seen last. Helpers and test suites share this machine; starting a
    timed refresh in the middle of someone's test run measures their run as much as ours.
    """
    deadline = time.monotonic() + max_seconds
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        busy = machine_busy_seconds() - before  # cores busy over that second
        if busy < busy_limit or time.monotonic() > deadline:
            return busy


def run_measured(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, log: Path
) -> Run:
    """Run ``argv`` to completion; wall time from spawn to reap, peak RSS of its process tree."""
    peak = 0
    done = threading.Event()
    timed_out = threading.Event()
    load_before = os.getloadavg()[0]
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout can end all of it
        )

        def sample() -> None:
            nonlocal peak
            deadline = started + timeout
            while not done.wait(0.02):
                peak = max(peak, tree_rss(proc.pid))
                if time.perf_counter() > deadline:
                    timed_out.set()
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss (KiB) covers the child and every descendant it reaped: the largest one's peak.
    peak = max(peak, usage.ru_maxrss * 1024)
    tail = log.read_bytes()[-2000:].decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, peak, cpu, load_before, proc.returncode, timed_out.is_set(), tail)


# ---------------------------------------------------------------- the server


class Server:
    def __init__(
        self, corpus: Path, port: int, hosts: int, latency_ms: float, max_seconds: float, log: Path
    ) -> None:
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "feed_server.py"),
                "--corpus", str(corpus),
                "--port", str(port),
                "--hosts", str(hosts),
                "--latency-ms", str(latency_ms),
                "--max-seconds", str(max_seconds),
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise SystemExit(f"feed_server did not start (port {port} in use?): {line!r}")
        self.port = int(line.split()[1].split("=")[1])
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _get(self, path: str) -> dict[str, object]:
        with self._opener.open(f"http://127.0.0.2:{self.port}{path}", timeout=10) as response:
            result: dict[str, object] = json.loads(response.read())
            return result

    def reset(self) -> None:
        self._get("/__reset")

    def stats(self) -> dict[str, object]:
        return self._get("/__stats")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- the tools


@dataclass
class Corpus:
    dir: Path
    opml: Path
    urls: Path
    feeds: int
    entries: int
    bytes: int
    formats: dict[str, int]


class Tool:
    """One configuration of one program: how to subscribe, refresh and count what it stored."""

    name: str
    label: str

    def available(self) -> str | None:
        """None when runnable, else what to do about it."""
        return None

    def extra_env(self) -> dict[str, str]:
        return {}

    def version(self) -> str:
        return "?"

    def setup(self, state: Path, corpus: Corpus, env: dict[str, str]) -> None:
        raise NotImplementedError

    def refresh_argv(self, state: Path) -> list[str]:
        raise NotImplementedError

    def count(self, state: Path, env: dict[str, str]) -> dict[str, int]:
        raise NotImplementedError


def _check(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr[-800:]}")
    return result.stdout


class Gloss(Tool):
    def __init__(self, command: list[str], pythonpath: str | None) -> None:
        self.command = command
        self.pythonpath = pythonpath
        self.name = "gloss"
        self.label = "Gloss (`gloss refresh`)"

    def available(self) -> str | None:
        if not Path(self.command[0]).exists():
            return f"{self.command[0]} not found (install Gloss into that venv: pip install -e .)"
        env = {**os.environ, **self.extra_env()}
        result = subprocess.run(
            [*self.command, "refresh", "--help"],
            capture_output=True, text=True, check=False, env=env, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        if result.returncode != 0:
            return f"`gloss refresh` is not available yet: {result.stderr.strip()[-300:]}"
        return None

    def extra_env(self) -> dict[str, str]:
        return {"PYTHONPATH": self.pythonpath} if self.pythonpath else {}

    def version(self) -> str:
        env = {**os.environ, **self.extra_env()}
        result = subprocess.run(
            [*self.command, "--version"],
            capture_output=True, text=True, check=False, env=env, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        version = (result.stdout or result.stderr).strip() or "?"
        return f"{version} ({_checkout_state()})"

    def _library(self, state: Path) -> str:
        return str(state / "lib.gloss")

    def setup(self, state: Path, corpus: Corpus, env: dict[str, str]) -> None:
        _check(
            [*self.command, "--library", self._library(state), "import-opml", str(corpus.opml)],
            cwd=state,
            env=env,
        )

    def refresh_argv(self, state: Path) -> list[str]:
        # The peers store feed entries only; Gloss's offline step (full texts of summaries and
        # every image, fetched after the entries are stored) would time work they never do.
        return [*self.command, "--library", self._library(state), "refresh", "--no-offline"]

    def count(self, state: Path, env: dict[str, str]) -> dict[str, int]:
        out = _check([*self.command, "--library", self._library(state), "feeds", "--json"],
                     cwd=state, env=env)  # fmt: skip
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return {
            "feeds": len(rows),
            "feeds_broken": sum(1 for r in rows if r.get("status") == "error"),
            "feeds_with_entries": sum(1 for r in rows if (r.get("unread") or 0) > 0),
            "entries": sum(int(r.get("unread") or 0) for r in rows),
        }


def _checkout_state() -> str:
    """Which code ran: the commit, and a hash of reader/**/*.py (uncommitted edits included)."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    digest = hashlib.sha256()
    for path in sorted((REPO / "reader").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return f"commit {head or '?'}, reader/ sha256 {digest.hexdigest()[:10]}"


class Newsboat(Tool):
    def __init__(self, threads: int | None) -> None:
        self.threads = threads
        self.name = "newsboat" if threads is None else f"newsboat-t{threads}"
        self.label = (
            "newsboat (defaults: reload-threads 1)"
            if threads is None
            else f"newsboat (reload-threads {threads})"
        )

    def available(self) -> str | None:
        return None if shutil.which("newsboat") else f"newsboat is missing: {NEWSBOAT_INSTALL}"

    def version(self) -> str:
        result = subprocess.run(
            ["newsboat", "--version"], capture_output=True, text=True, check=False
        )
        return result.stdout.splitlines()[0] if result.stdout else "?"

    def setup(self, state: Path, corpus: Corpus, env: dict[str, str]) -> None:
        shutil.copyfile(corpus.urls, state / "urls")
        lines = ["download-timeout 30"]
        if self.threads is not None:
            lines.append(f"reload-threads {self.threads}")
        (state / "config").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def refresh_argv(self, state: Path) -> list[str]:
        return ["newsboat", "-C", str(state / "config"), "-u", str(state / "urls"),
                "-c", str(state / "cache.db"), "-x", "reload"]  # fmt: skip

    def count(self, state: Path, env: dict[str, str]) -> dict[str, int]:
        db = sqlite3.connect(f"file:{state / 'cache.db'}?mode=ro", uri=True)
        try:
            entries, with_entries = db.execute(
                "SELECT count(*), count(DISTINCT feedurl) FROM rss_item"
            ).fetchone()
            feeds = db.execute("SELECT count(*) FROM rss_feed").fetchone()[0]
        finally:
            db.close()
        return {
            "feeds": feeds,
            "feeds_broken": feeds - with_entries,
            "feeds_with_entries": with_entries,
            "entries": entries,
        }


class Lemon24Reader(Tool):
    def __init__(self, venv: Path, workers: int | None) -> None:
        self.venv = venv
        self.python = venv / "bin" / "python"
        self.workers = workers
        self.name = "lemon24-reader" if workers is None else f"lemon24-reader-w{workers}"
        self.label = (
            "lemon24 reader (defaults: --workers 1)"
            if workers is None
            else f"lemon24 reader (--workers {workers})"
        )

    def available(self) -> str | None:
        if not self.python.exists():
            return f"no venv at {self.venv} (run with --make-reader-venv)"
        return None

    def version(self) -> str:
        result = subprocess.run(
            [str(self.python), "-c", "import reader; print(reader.__version__)"],
            capture_output=True, text=True, check=False, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        return f"reader {result.stdout.strip() or '?'}"

    def setup(self, state: Path, corpus: Corpus, env: dict[str, str]) -> None:
        _check([str(self.python), str(HERE / "lemon24_driver.py"), "add", str(state / "db.sqlite"),
                str(corpus.urls)], cwd=state, env=env)  # fmt: skip

    def refresh_argv(self, state: Path) -> list[str]:
        # --no-scheduled: reader otherwise skips feeds updated less than an hour ago, and the
        # 2nd and 3rd refreshes would fetch nothing at all.
        argv = [str(self.python), "-m", "reader", "--db", str(state / "db.sqlite"), "update",
                "--no-scheduled"]  # fmt: skip
        if self.workers is not None:
            argv += ["--workers", str(self.workers)]
        return argv

    def count(self, state: Path, env: dict[str, str]) -> dict[str, int]:
        out = _check([str(self.python), str(HERE / "lemon24_driver.py"), "count",
                      str(state / "db.sqlite")], cwd=state, env=env)  # fmt: skip
        result: dict[str, int] = json.loads(out)
        return result


def make_reader_venv(venv: Path) -> None:
    """lemon24's reader lives in its own venv: it has Gloss's import name."""
    print(f"creating {venv} for lemon24's reader …", file=sys.stderr)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # sgmllib3k: reader vendors a feedparser that imports ``sgmllib``; the index here may
    # resolve feedparser's own dependency to a differently named module.
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "reader[cli]", "sgmllib3k"],
        check=True,
        cwd=tempfile.gettempdir(),
    )


# ---------------------------------------------------------------- the run


def tool_env(state: Path) -> dict[str, str]:
    """A fresh HOME and XDG dirs per run; no proxies (everything is on loopback)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    home = state / "home"
    for sub in ("", ".config", ".cache", ".local/share"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local/share"),
        NO_PROXY="127.0.0.0/8,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPATH", None)
    env.pop("GLOSS_LIBRARY", None)
    return env


def machine_info() -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
        if hasattr(platform, "freedesktop_os_release")
        else platform.system(),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_corpus(corpus_dir: Path) -> Corpus:
    infos = feedgen.load_manifest(corpus_dir)
    formats: dict[str, int] = {}
    for info in infos:
        formats[info.format] = formats.get(info.format, 0) + 1
    return Corpus(
        dir=corpus_dir,
        opml=corpus_dir / "subscriptions.opml",
        urls=corpus_dir / "urls.txt",
        feeds=len(infos),
        entries=sum(i.entries for i in infos),
        bytes=sum(i.bytes for i in infos),
        formats=formats,
    )


@dataclass
class Trial:
    tool: str
    repeat: int
    refreshes: list[Run]
    counts: dict[str, int] | None
    error: str | None = None
    version: str = "?"  # per trial: Gloss's code can change between repeats of a long run


def run_trial(
    tool: Tool, repeat: int, corpus: Corpus, server: Server, args: argparse.Namespace
) -> Trial:
    state = Path(tempfile.mkdtemp(prefix=f"{tool.name}-", dir=args.work_dir))
    env = {**tool_env(state), **tool.extra_env()}
    refreshes: list[Run] = []
    counts: dict[str, int] | None = None
    version = tool.version()
    try:
        tool.setup(state, corpus, env)
        for number in range(1, args.refreshes + 1):
            if args.quiet_wait:
                wait_for_quiet(args.quiet_wait)
            server.reset()
            busy_before = machine_busy_seconds()
            ours_before = process_cpu_seconds(server.proc.pid) + sum(os.times()[:2])
            run = run_measured(
                tool.refresh_argv(state),
                cwd=state,
                env=env,
                timeout=args.timeout,
                log=args.work_dir / f"{tool.name}-r{repeat}-refresh{number}.log",
            )
            ours = process_cpu_seconds(server.proc.pid) + sum(os.times()[:2]) - ours_before
            busy = machine_busy_seconds() - busy_before
            run.foreign_cpu_seconds = max(0.0, busy - ours - run.cpu_seconds)
            run.server = server.stats()
            refreshes.append(run)
            _progress(tool, repeat, number, run)
            if run.timed_out:
                break
            if number == 1:
                counts = tool.count(state, env)
        return Trial(tool.name, repeat, refreshes, counts, version=version)
    except (RuntimeError, subprocess.SubprocessError, sqlite3.Error, OSError) as error:
        print(f"  {tool.name} #{repeat}: {error}", file=sys.stderr)
        return Trial(tool.name, repeat, refreshes, counts, error=str(error), version=version)
    finally:
        if not args.keep_state:
            shutil.rmtree(state, ignore_errors=True)


def _progress(tool: Tool, repeat: int, number: int, run: Run) -> None:
    s = run.server
    flag = " TIMEOUT" if run.timed_out else (f" exit {run.exit_code}" if run.exit_code else "")
    print(
        f"  {tool.name} #{repeat} refresh {number}: {run.seconds:.2f} s "
        f"(cpu {run.cpu_seconds:.1f} s, foreign cpu {run.foreign_cpu_seconds:.1f} s), "
        f"peak {run.peak_rss / 2**20:.0f} MB, {s.get('feed_200')}×200 {s.get('feed_304')}×304 "
        f"{s.get('images')} img {s.get('other')} other, "
        f"peak {s.get('peak_connections')} conns{flag}",
        file=sys.stderr,
        flush=True,
    )


def _count(stats: dict[str, object], key: str) -> float:
    value = stats.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(
    tools: list[Tool], trials: list[Trial], args: argparse.Namespace
) -> list[dict[str, object]]:
    rows = []
    for tool in tools:
        mine = [t for t in trials if t.tool == tool.name]
        row: dict[str, object] = {"tool": tool.name, "label": tool.label, "version": tool.version()}
        for number in range(1, args.refreshes + 1):
            runs = [t.refreshes[number - 1] for t in mine if len(t.refreshes) >= number]
            ok = [r for r in runs if not r.timed_out]
            row[f"r{number}_seconds"] = _median([r.seconds for r in ok])
            row[f"r{number}_cpu_seconds"] = _median([r.cpu_seconds for r in ok])
            row[f"r{number}_peak_mb"] = _median([r.peak_rss / 2**20 for r in ok])
            row[f"r{number}_200"] = _median([_count(r.server, "feed_200") for r in ok])
            row[f"r{number}_304"] = _median([_count(r.server, "feed_304") for r in ok])
            row[f"r{number}_failures"] = sum(1 for r in runs if r.timed_out or r.exit_code)
        peaks = [max(r.peak_rss for r in t.refreshes) / 2**20 for t in mine if t.refreshes]
        row["peak_mb"] = _median(peaks)
        counts = [t.counts for t in mine if t.counts]
        row["feeds_with_entries"] = counts[-1]["feeds_with_entries"] if counts else None
        row["entries"] = counts[-1]["entries"] if counts else None
        errors = [t.error for t in mine if t.error]
        versions = sorted({t.version for t in mine})
        if len(versions) > 1:
            errors.append(f"code changed between repeats: {' / '.join(versions)}")
        row["errors"] = errors
        rows.append(row)
    return rows


def _errors(row: dict[str, object]) -> list[str]:
    errors = row.get("errors")
    return [str(e) for e in errors] if isinstance(errors, list) else []


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def run_loads(trials: list[Trial]) -> str:
    runs = [r for t in trials for r in t.refreshes]
    if not runs:
        return "—"
    loads = [r.load_before for r in runs]
    foreign = [r.foreign_cpu_seconds / max(r.seconds, 1e-9) for r in runs]
    return (
        f"1-minute load at start median {statistics.median(loads):.2f}, max {max(loads):.2f}; "
        f"other processes' CPU during refreshes median {statistics.median(foreign):.2f} cores, "
        f"max {max(foreign):.2f} (of {os.cpu_count()})"
    )


def earlier_rows(path: Path, measured: set[object], corpus: Corpus) -> list[dict[str, object]]:
    """Peers' rows from an earlier results file, so a Gloss-only run still gets compared.

    Only rows for tools not measured now, and only from a run on the same corpus; their label
    says where they came from, since another run means other machine conditions.
    """
    earlier = json.loads(path.read_text(encoding="utf-8"))
    if earlier.get("corpus", {}).get("entries") != corpus.entries:
        raise SystemExit(f"{path} was measured on another corpus; not comparable")
    stamp = earlier.get("machine", {}).get("date", "?")
    rows = []
    for row in earlier.get("summary", []):
        if row.get("tool") not in measured:
            rows.append({**row, "label": f"{row.get('label')} [earlier run, {stamp}]"})
    return rows


def markdown(
    rows: list[dict[str, object]],
    trials: list[Trial],
    corpus: Corpus,
    machine: dict[str, str],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"### Refresh benchmark — {corpus.feeds} feeds, {args.latency_ms:g} ms latency, "
        f"{args.hosts} loopback hosts, median of {args.repeats}",
        "",
        "| tool | first refresh s | 2nd refresh s | 3rd refresh s | peak MB | CPU s (1st/2nd) | "
        "feeds stored | entries stored | 2nd: 200/304 | 3rd: 200/304 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [
            str(row["label"]),
            _fmt(row.get("r1_seconds")),
            _fmt(row.get("r2_seconds")),
            _fmt(row.get("r3_seconds")),
            _fmt(row.get("peak_mb"), 0),
            f"{_fmt(row.get('r1_cpu_seconds'), 1)}/{_fmt(row.get('r2_cpu_seconds'), 1)}",
            f"{_fmt(row['feeds_with_entries'])}/{corpus.feeds}",
            f"{_fmt(row['entries'])}/{corpus.entries}",
            f"{_fmt(row.get('r2_200'), 0)}/{_fmt(row.get('r2_304'), 0)}",
            f"{_fmt(row.get('r3_200'), 0)}/{_fmt(row.get('r3_304'), 0)}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    failures = [
        f"- {row['label']}: refresh {n} failed or timed out in {row[f'r{n}_failures']} run(s)"
        for row in rows
        for n in range(1, args.refreshes + 1)
        if row.get(f"r{n}_failures")
    ]
    failures += [f"- {row['label']}: {e}" for row in rows for e in _errors(row)]
    formats = ", ".join(f"{count} {name}" for name, count in sorted(corpus.formats.items()))
    if failures:
        lines += ["", "Failures:", *failures]
    lines += [
        "",
        f"Corpus: seed {args.seed}, {corpus.feeds} feeds ({formats}), "
        f"{corpus.entries} entries, {corpus.bytes / 1e6:.0f} MB.",
        "Peak MB: the whole process tree's summed RSS (parse workers count), highest of the "
        "three refreshes. CPU s: user+system time of the tool's processes (less sensitive than "
        "wall time to other load). 200/304: feed requests the server answered, per refresh.",
        f"Machine load: {run_loads(trials)}.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()),
        "Versions: " + "; ".join(f"{row['tool']} {row['version']}" for row in rows),
    ]
    lines += targets(rows)
    return "\n".join(lines) + "\n"


def _number(row: dict[str, object], key: str) -> float | None:
    value = row.get(key)
    return float(value) if isinstance(value, int | float) else None


def targets(rows: list[dict[str, object]]) -> list[str]:
    """The issue's targets for Gloss, checked against this run's medians."""
    gloss = next((r for r in rows if r["tool"] == "gloss"), None)
    first = _number(gloss, "r1_seconds") if gloss else None
    if gloss is None or first is None:
        return []
    out = ["", "Targets (issue: Performance):"]
    peers = [(r, t) for r in rows if r["tool"] != "gloss" and (t := _number(r, "r1_seconds"))]
    if peers:
        fastest, fastest_seconds = min(peers, key=lambda pair: pair[1])
        limit = fastest_seconds / 2
        out.append(
            f"- first refresh ≤ half the fastest peer ({fastest['label']}: {fastest_seconds:.2f} s"
            f" → ≤ {limit:.2f} s): {first:.2f} s, {'met' if first <= limit else 'NOT met'}"
        )
    second = _number(gloss, "r2_seconds")
    if second is not None:
        out.append(f"- all-304 refresh < 2 s: {second:.2f} s, {'met' if second < 2 else 'NOT met'}")
    peak = _number(gloss, "peak_mb")
    if peak is not None:
        out.append(f"- peak memory < 300 MB: {peak:.0f} MB, {'met' if peak < 300 else 'NOT met'}")
    return out


def build_tools(args: argparse.Namespace) -> list[Tool]:
    gloss = args.gloss
    if gloss is None:
        installed = REPO / ".venv" / "bin" / "gloss"
        gloss = installed if installed.exists() else REPO / ".venv" / "bin" / "python"
    if gloss.name.startswith("python"):
        # Not installed as a command: run the checkout's package with the repo on the path.
        gloss_command, pythonpath = [str(gloss), "-m", "reader"], str(REPO)
    else:
        gloss_command, pythonpath = [str(gloss)], None
    factories: dict[str, Callable[[], Tool]] = {
        "gloss": lambda: Gloss(gloss_command, pythonpath),
        "newsboat": lambda: Newsboat(None),
        "newsboat-tuned": lambda: Newsboat(args.newsboat_threads),
        "reader": lambda: Lemon24Reader(args.reader_venv, None),
        "reader-tuned": lambda: Lemon24Reader(args.reader_venv, args.reader_workers),
    }
    tools = []
    for name in args.tools.split(","):
        if name not in factories:
            raise SystemExit(f"unknown tool {name!r}; choose from {', '.join(factories)}")
        tool = factories[name]()
        problem = tool.available()
        if problem and isinstance(tool, Lemon24Reader) and args.make_reader_venv:
            make_reader_venv(args.reader_venv)
            problem = tool.available()
        if problem:
            print(f"skipping {tool.label}: {problem}", file=sys.stderr)
            continue
        tools.append(tool)
    return tools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="number of feeds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--hosts", type=int, default=40, help="loopback addresses 127.0.0.2 …")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--refreshes", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--tools", default="gloss,newsboat,newsboat-tuned,reader,reader-tuned")
    parser.add_argument("--gloss", type=Path, default=None,
                        help="gloss executable, or a python to run `python -m reader` with the "
                        "checkout on PYTHONPATH (default: the checkout's .venv/bin/gloss, "
                        "else its .venv/bin/python)")  # fmt: skip
    parser.add_argument("--reader-venv", type=Path, default=DEFAULT_READER_VENV)
    parser.add_argument("--make-reader-venv", action=argparse.BooleanOptionalAction, default=True,
                        help="create the lemon24 reader venv if missing")  # fmt: skip
    parser.add_argument("--newsboat-threads", type=int, default=8)
    parser.add_argument("--reader-workers", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=1800, help="per refresh, seconds")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "gloss-bench"
    )
    parser.add_argument("--quiet-wait", type=float, default=120,
                        help="before each refresh, wait up to this many seconds for the machine "
                        "to be idle (0: don't wait)")  # fmt: skip
    parser.add_argument("--compare-with", type=Path, default=None,
                        help="results-*.json of an earlier run on the same corpus: its peers' "
                        "rows are shown and used for the targets (with --tools gloss)")  # fmt: skip
    parser.add_argument("--keep-state", action="store_true", help="keep each tool's state dir")
    args = parser.parse_args(argv)
    args.work_dir = args.work_dir.resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    tools = build_tools(args)
    if not tools:
        print("no tool to run", file=sys.stderr)
        return 1
    spec = feedgen.CorpusSpec(n=args.n, seed=args.seed, port=args.port, hosts=args.hosts)
    corpus = load_corpus(feedgen.ensure_corpus(spec, args.work_dir))
    machine = machine_info()
    budget = args.timeout * args.refreshes * args.repeats * len(tools) + 600
    server = Server(
        corpus.dir, args.port, args.hosts, args.latency_ms, budget, args.work_dir / "server.log"
    )
    trials: list[Trial] = []
    try:
        for repeat in range(1, args.repeats + 1):
            for tool in tools:  # interleaved, so drift over the run touches every tool alike
                trials.append(run_trial(tool, repeat, corpus, server, args))
    finally:
        server.stop()
    rows = summarize(tools, trials, args)
    if args.compare_with:
        rows += earlier_rows(args.compare_with, {row["tool"] for row in rows}, corpus)
    report = markdown(rows, trials, corpus, machine, args)
    print(report)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    result_path = args.work_dir / f"results-{stamp}.json"
    result_path.write_text(
        json.dumps(
            {
                "machine": machine,
                "args": {k: str(v) for k, v in vars(args).items()},
                "corpus": {
                    k: str(v) if isinstance(v, Path) else v for k, v in asdict(corpus).items()
                },
                "summary": rows,
                "trials": [asdict(t) for t in trials],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    (args.work_dir / f"results-{stamp}.md").write_text(report, encoding="utf-8")
    print(f"raw results: {result_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
