"""What every benchmark needs: wrk and nginx as child processes, a PostgreSQL database of its
own, pingsvc's production web server and worker, and peak-RSS sampling. Loopback only."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
CACHE = Path(tempfile.gettempdir()) / "pingsvc-bench-cache"
PYTHON = sys.executable
POSTGRES_ADMIN = os.environ.get(
    "PINGSVC_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PINGSVC_BENCH_REDIS", "redis://127.0.0.1:6379/12")
HOST = "127.0.0.1"


def arguments(description: str, **defaults: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer items, shorter runs")
    parser.add_argument("--keep", action="store_true", help="keep logs and temp folders")
    for name, value in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return parser


def need(*programs: str) -> None:
    """Stop with the install command when a tool the benchmark drives is missing."""
    missing = [p for p in programs if shutil.which(p) is None and not Path(p).exists()]
    if missing:
        raise SystemExit(
            f"bench needs {', '.join(missing)}: apt-get install -y wrk nginx-light "
            "(and a running PostgreSQL and Redis on 127.0.0.1)"
        )


def machine() -> str:
    """One line saying what the figures were measured on."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load:.1f} at start"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# Child processes.


@dataclass
class Child:
    """A child process in its own process group, its output in a log file."""

    name: str
    args: list[str]
    env: dict[str, str] | None = None
    log_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        self.log = self.log_dir / f"{self.name}.log"
        handle = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.args, env=self.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        handle.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if hasattr(self, "log") else ""

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Children:
    """Every child a benchmark started, stopped together (also on Ctrl-C or an error)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.items: list[Child] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, args, env, self.log_dir).start()
        self.items.append(child)
        return child

    def stop(self, child: Child) -> None:
        child.stop()
        if child in self.items:
            self.items.remove(child)

    def stop_all(self) -> None:
        for child in reversed(self.items):
            child.stop()
        self.items.clear()


@contextlib.contextmanager
def workspace(name: str, keep: bool) -> Iterator[tuple[Path, Children]]:
    folder = Path(tempfile.mkdtemp(prefix=f"pingsvc-bench-{name}-"))
    children = Children(folder)
    # SIGTERM (timeout, make interrupted) must still stop the children and drop the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield folder, children
    finally:
        children.stop_all()
        if keep:
            print(f"  logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# nginx serving source pages.

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 30s;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    types {{ text/html html; }}
    default_type text/html;
    charset utf-8;
    server {{
        listen {host}:{port};
        root {root};
        # /m/ANYTHING/pN.html is pN.html: many distinct source URLs over a pool of pages.
        location /m/ {{ rewrite ^/m/.*/(p[0-9]+[.]html)$ /$1 break; }}
        location /slow/ {{ rewrite ^/slow/.*/(p[0-9]+[.]html)$ /$1 break; limit_rate {slow_rate}; }}
        location /busy/ {{ return 503; }}
        location /gone/ {{ return 410; }}
    }}
}}
"""


def start_nginx(children: Children, root: Path, slow_rate: str = "16k") -> str:
    """nginx on a free loopback port serving `root`; returns its base URL.
    /m/.../NAME serves NAME; /slow/.../NAME serves it at `slow_rate` bytes/s; /busy/ answers
    503, /gone/ 410."""
    need("nginx" if shutil.which("nginx") else "/usr/sbin/nginx")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    folder = children.log_dir / "nginx"
    folder.mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(folder=folder, host=HOST, port=port, root=root, slow_rate=slow_rate)
    )
    child = children.start("nginx", [binary, "-c", str(conf), "-p", str(folder), "-e", "stderr"])
    base = f"http://{HOST}:{port}"
    if not wait_until(lambda: _answers(f"{base}/busy/x", 503), 10):
        raise SystemExit(f"nginx did not start:\n{child.output()}")
    return base


def _answers(url: str, status: int = 200) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == status
    except requests.RequestException:
        return False


class Blackhole:
    """A loopback port that accepts connections and never answers: a source that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(4096)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = self.sock.accept()
                self.held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


# PostgreSQL and Redis.


def database(name: str, *, fresh: bool) -> str:
    """The URL of database `name` on the bench PostgreSQL, created (or recreated) as asked."""
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
            exists = conn.scalar(query, {"n": name})
            if exists and fresh:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        raise SystemExit(f"bench needs PostgreSQL at {POSTGRES_ADMIN}: {exc}") from exc
    finally:
        admin.dispose()
    url = sa.engine.make_url(POSTGRES_ADMIN).set(database=name)
    return url.render_as_string(hide_password=False)


class Analyzer:
    """ANALYZE the bench database every few seconds while a run fills it, when the server
    runs with autovacuum off (as this machine's does): in production autovacuum keeps the
    planner's statistics, and without them a table filled from empty keeps the estimates of
    an empty one (a verdict's spam-history reads scanned every mention: bench/README.md)."""

    def __init__(self, url: str, every: float = 10.0) -> None:
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with self.engine.connect() as conn:
            self.needed = conn.scalar(sa.text("SHOW autovacuum")) == "off"
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Analyzer:
        if self.needed:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.needed:
            self.thread.join(30)
        self.engine.dispose()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                with self.engine.connect() as conn:
                    conn.execute(sa.text("ANALYZE"))
            except sa.exc.SQLAlchemyError:
                pass  # the database is being dropped at the run's end


def drop_database(name: str) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def clear_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, f"{queue}-limits")
    for key in client.scan_iter(f"{queue}*"):
        client.delete(key)
    client.close()


def check_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"bench needs Redis at {REDIS_URL}: {exc}") from exc


# pingsvc itself.


def production_env(folder: Path, database_url: str, queue: str, **extra: str) -> dict[str, str]:
    """The environment of a production install (PostgreSQL + Redis) for the bench."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGSVC_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PINGSVC_VAR_DIR": str(folder / "var"),
            "PINGSVC_DATABASE_URL": database_url,
            "PINGSVC_REDIS_URL": REDIS_URL,
            "PINGSVC_SECRET_KEY": "bench-secret-key-not-for-production",
            "PINGSVC_RATE_LIMIT_ENABLED": "false",
            "PINGSVC_LOG_LEVEL": "INFO",  # the production default: a JSON line per request
            "PINGSVC_QUEUE": queue,
        }
    )
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "pingsvc.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"pingsvc {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass(frozen=True)
class Server:
    """A web server setup to measure: "granian" (`pingsvc web`'s production command) or
    "gunicorn" (its gthread worker, as `pingsvc web` ran it before), processes x threads; for
    granian, `backpressure` is how many requests a process takes in at once (0: its default)."""

    kind: str
    workers: int
    threads: int
    backpressure: int = 0

    @classmethod
    def parse(cls, text: str, workers: int, threads: int) -> Server:
        """KIND[:WORKERSxTHREADS[:BACKPRESSURE]], e.g. gunicorn, gunicorn:2x4, granian:2x8:16."""
        kind, _, rest = text.partition(":")
        if kind not in ("gunicorn", "granian"):
            raise SystemExit(f"unknown server {kind!r}: gunicorn or granian")
        size, _, pressure = rest.partition(":")
        if size:
            w, _, t = size.partition("x")
            workers, threads = int(w), int(t)
        return cls(kind, workers, threads, int(pressure or 0))

    def label(self) -> str:
        extra = f", backpressure {self.backpressure}" if self.backpressure else ""
        return f"{self.kind} {self.workers}x{self.threads}{extra}"

    def command(self, port: int, app: str) -> list[str]:
        """The server's command for `app` ("pingsvc": pingsvc as `pingsvc web` serves it)."""
        if self.kind == "gunicorn":
            # As `pingsvc web` ran it until granian replaced it (its JSON 414 aside).
            return [
                PYTHON, "-m", "gunicorn", "--bind", f"{HOST}:{port}",
                "--workers", str(self.workers), "--worker-class", "gthread",
                "--threads", str(self.threads), "--limit-request-line", "8190",
                "--backlog", "2048", "--keep-alive", "0", "--graceful-timeout", "20",
                "--worker-tmp-dir", "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",
                "--no-control-socket",
                "pingsvc:create_app()" if app == "pingsvc" else app,
            ]  # fmt: skip
        from pingsvc.cli import web_command

        command = web_command(HOST, port, self.workers, self.threads)
        if self.backpressure:
            command[-1:-1] = ["--backpressure", str(self.backpressure)]
        if app.endswith("()"):  # "module:factory()": granian calls it with --factory
            command = [*command[:-1], app[:-2]]
        elif app != "pingsvc":
            command = [c for c in command if c != "--factory"][:-1] + [app]
        return command


def start_web(
    children: Children,
    env: dict[str, str],
    *,
    workers: int,
    threads: int,
    app: str = "pingsvc",
    name: str = "web",
    server: Server | None = None,
) -> tuple[Child, str]:
    """`pingsvc web`'s production server (or `server`), on a free loopback port, serving
    pingsvc (or the WSGI `app`, "module:name")."""
    server = server or Server("granian", workers, threads)
    port = free_port()
    base = f"http://{HOST}:{port}"
    from pingsvc.cli import web_env  # as `pingsvc web` passes it: each pool fits its threads

    env = web_env(server.threads, {**env, "PINGSVC_BASE_URL": base})
    child = children.start(name, server.command(port, app), env)
    if not wait_until(lambda: _answers(f"{base}/healthz") or not child.alive(), 60, 0.2):
        raise SystemExit(f"{name} did not start:\n{child.output()[-3000:]}")
    if not child.alive():
        raise SystemExit(f"{name} exited:\n{child.output()[-3000:]}")
    return child, base


def worker_command(pool: str, concurrency: int, name: str) -> list[str]:
    """The Celery worker as docker-compose runs it."""
    return [
        PYTHON, "-m", "celery", "-A", "worker.celery_app", "worker",
        "--loglevel", "INFO", "--pool", pool, "--concurrency", str(concurrency),
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"{name}@%h",
    ]  # fmt: skip


def start_workers(
    children: Children, env: dict[str, str], *, processes: int, pool: str, concurrency: int
) -> list[Child]:
    started = []
    for index in range(processes):
        name = f"worker{index}"
        started.append(children.start(name, worker_command(pool, concurrency, name), env))
    for child in started:
        if not wait_until(lambda c=child: "ready." in c.output() or not c.alive(), 60, 0.2):
            raise SystemExit(f"{child.name} did not start:\n{child.output()[-3000:]}")
        if not child.alive():
            raise SystemExit(f"{child.name} exited:\n{child.output()[-3000:]}")
    return started


# wrk.


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    errors: str
    non_2xx: int

    def line(self) -> str:
        text = f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        if self.non_2xx or self.errors:
            text += f" ({self.non_2xx} non-2xx/3xx{', ' + self.errors if self.errors else ''})"
        return text


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> WrkResult:
    """Run wrk against `url` and read its summary (rate, p50, p99, errors)."""
    need("wrk")
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    args += ["--latency", "--timeout", "10s"]
    if script is not None:
        args += ["-s", str(script)]
    done = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, env=env
    )
    out = done.stdout
    if done.returncode != 0:
        raise SystemExit(f"wrk failed:\n{done.stderr}\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    assert total is not None
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))

    def parse(text: str) -> float:
        match = re.match(r"([\d.]+)(us|ms|s|m)$", text)
        return _ms(match.group(1), match.group(2)) if match else float("nan")

    errors = re.search(r"Socket errors: (.*)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000,
        rate=rate,
        p50_ms=parse(latency.get("50", "nan")),
        p99_ms=parse(latency.get("99", "nan")),
        errors=errors.group(1).strip() if errors else "",
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


# Memory.


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Samples the RSS of process trees every `interval` s; keeps each group's peak (the sum
    over its processes) and the largest single process."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 0.25) -> None:
        self.groups = groups
        self.interval = interval
        self.peak_total = dict.fromkeys(groups, 0)
        self.peak_single = dict.fromkeys(groups, 0)
        self.processes = dict.fromkeys(groups, 0)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, roots in self.groups.items():
                pids = [p for root in roots for p in _tree(root)]
                sizes = [_rss_kb(p) for p in pids]
                self.peak_total[name] = max(self.peak_total[name], sum(sizes))
                self.peak_single[name] = max(self.peak_single[name], max(sizes, default=0))
                self.processes[name] = max(self.processes[name], len(pids))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self.thread.join(5)

    def lines(self) -> list[str]:
        return [
            f"{name}: peak {self.peak_total[name] / 1024:,.0f} MiB over "
            f"{self.processes[name]} processes (largest {self.peak_single[name] / 1024:,.0f} MiB)"
            for name in self.groups
        ]


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"


def verdict(ok: bool) -> str:
    return "meets target" if ok else "BELOW target"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _named(name: str) -> list[int]:
    """Every process whose command name is `name` (postgres backends, redis-server)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds each group of processes spends between enter and exit: process trees by
    root pid, or every process of a command name (PostgreSQL's backends, redis-server). It
    says where a benchmark's work goes on a machine whose cores everything shares."""

    def __init__(
        self,
        trees: dict[str, list[int]],
        names: dict[str, str] | None = None,
        split: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.trees = trees
        self.names = names or {"postgres": "postgres", "redis": "redis-server"}
        # A tree group's roots and their descendants, also counted apart: group -> (the
        # roots' label, the descendants' label), e.g. Celery's processes and their sandbox.
        self.split = split or {}
        self.used: dict[str, float] = {}

    def _pids(self) -> dict[str, list[int]]:
        trees = self.trees.items()
        pids = {group: [p for root in roots for p in _tree(root)] for group, roots in trees}
        for group, (roots_label, descendants_label) in self.split.items():
            roots = set(self.trees[group])
            pids[roots_label] = [p for p in pids[group] if p in roots]
            pids[descendants_label] = [p for p in pids[group] if p not in roots]
        pids.update({group: _named(command) for group, command in self.names.items()})
        return pids

    def _sample(self) -> dict[str, dict[int, float]]:
        return {group: {p: _cpu_seconds(p) for p in pids} for group, pids in self._pids().items()}

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._sample()
        for group, seen in end.items():
            before = self._start.get(group, {})
            self.used[group] = sum(cpu - before.get(pid, 0.0) for pid, cpu in seen.items())

    def total_ms(self, items: int, without: Iterable[str] = ()) -> float:
        """CPU milliseconds per item, every group but `without` counted once (a split's
        parts are in their group's figure)."""
        if not items:
            return 0.0
        left_out = {label for labels in self.split.values() for label in labels} | set(without)
        return sum(v for k, v in self.used.items() if k not in left_out) * 1000 / items

    def line(self, items: int, unit: str = "mention") -> str:
        """CPU milliseconds per item, by group and in all."""
        if not items:
            return "no items"
        parts_of = {label: group for group, labels in self.split.items() for label in labels}
        parts = []
        for group, seconds in self.used.items():
            if group in parts_of:
                continue  # in its group's figure
            inner = [
                f"{label} {self.used.get(label, 0.0) * 1000 / items:.2f}"
                for label in self.split.get(group, ())
            ]
            figure = f"{group} {seconds * 1000 / items:.2f}"
            parts.append(f"{figure} ({', '.join(inner)})" if inner else figure)
        return f"CPU ms per {unit}: {', '.join(parts)}; total {self.total_ms(items):.2f}"
