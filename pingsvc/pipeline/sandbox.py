"""Child processes that read source pages under a CPU budget the kernel enforces.

HTML parsers are superlinear on some markup (lexbor, html5ever and BeautifulSoup on implied
end tags that nest, attribute floods...), and a parser in C can't be stopped from a Python
thread. So the parsing runs in a child process whose CPU timer (ITIMER_PROF, no handler: the
signal's default action ends the process) fires when the budget is spent, whatever the
parser was doing. Each job gets a child of its own until it ends, so a child that dies takes
only its own job with it; children are forked from a forkserver (single-threaded, with the
pipeline imported), never from the threaded worker, and kept for the next job.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import multiprocessing.util
import os
import shutil
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from pingsvc.errors import FetchError, HostilePage, TransientFetchError

log = logging.getLogger(__name__)

# What the children's jobs import, imported once by the forkserver so that no child imports
# it again (a test runs each job in a child and checks). A module missing here is imported
# by each new child at its first such job; one that does not import is passed over.
PRELOAD = [
    "pingsvc.pipeline.steps",  # a mention's page; vouch, private and author pages' readers
    "pingsvc.send.deliver",  # a target's endpoint, a post's links
    "pingsvc.send.feeds",  # a watched feed
    "xml.sax.expatreader",  # feedparser's parser, imported on its first feed
    # avatars.image (imported by steps): Pillow's plugins for the photos it opens and the
    # WebP it writes, else Pillow imports all 40 of its plugins on the first avatar
    "PIL.BmpImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PngImagePlugin",
    "PIL.PpmImagePlugin",
    "PIL.WebPImagePlugin",
    "colorsys",  # initials' colour
]


class OverBudget(HostilePage):
    """The job's CPU time ran out: the page costs more to read than any page may."""


# The signals that end a child because of what it was reading: a C parser's crash. Any other
# death (SIGKILL from the OOM killer or an operator, an exit) is not the page's fault.
_CRASHES = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE})


def _serve(conn: Connection, cpu_limit: float) -> None:
    """A child's loop: run each job under a fresh CPU timer, answer with its result."""
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the timer ends the process
    # Ctrl-C on the worker and systemd's SIGTERM to the whole group reach the children too:
    # they ignore both, so the job in hand ends while the worker's warm shutdown waits for
    # it (the parent ends a child with SIGKILL, which no handler can ignore).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            func, args, limit = conn.recv()
        except (EOFError, OSError):
            return
        signal.setitimer(signal.ITIMER_PROF, limit or cpu_limit)
        try:
            reply: tuple[Any, ...] = ("ok", func(*args))
        except FetchError as exc:
            reply = ("fetch_error", type(exc), exc.reason, exc.kind, exc.status_code)
        except Exception:  # noqa: BLE001 - a bug: the parent raises it with this traceback
            reply = ("bug", traceback.format_exc())
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        conn.send(reply)


_start_lock = threading.Lock()


@contextmanager
def _as_parent() -> Iterator[None]:
    """Let a process of Celery's prefork pool start a reader, as its threads pool can. Its
    pool processes are daemonic, and multiprocessing forbids those children lest they
    outlive their parent: a reader ends by itself when its parent's end of the pipe closes,
    so the rule does not apply to it. And their key is billiard's type, which multiprocessing
    refuses to send to the forkserver: a copy of multiprocessing's type is sent instead (the
    key authenticates nothing here). Both are changed only while the reader starts."""
    config = multiprocessing.process.current_process()._config  # type: ignore[attr-defined]
    with _start_lock:
        saved = dict(config)
        config.pop("daemon", None)
        key = multiprocessing.process.AuthenticationString  # type: ignore[attr-defined]
        config["authkey"] = key(config["authkey"])
        try:
            yield
        finally:
            config.clear()
            config.update(saved)


class _Child:
    def __init__(self, context: Any, cpu_limit: float) -> None:
        self.conn, theirs = context.Pipe()
        with _as_parent():  # the process copies its parent's config when made
            self.process = context.Process(
                target=_serve, args=(theirs, cpu_limit), name="pingsvc-parse", daemon=True
            )
            self.process.start()
        theirs.close()
        # Not one of multiprocessing's children: its exit handler would end them with SIGTERM,
        # which they ignore, and wait for them forever (billiard moves that handler to run
        # first). A child ends by itself when this process's end of the pipe closes.
        multiprocessing.process._children.discard(self.process)  # type: ignore[attr-defined]

    def end(self) -> int | None:
        """Stop the child (if it still runs) and return how it ended."""
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        return self.process.exitcode


# A Unix socket's path holds at most 107 bytes; the forkserver's is made in multiprocessing's
# temporary folder, under TMPDIR (`pingsvc serve` sets VAR_DIR/tmp for the embedded broker).
_SOCKET_ROOM = 107 - len("/pymp-12345678/listener-12345678")


def _short_temporary_folder() -> None:
    """Give multiprocessing a temporary folder whose socket paths fit, before the forkserver
    starts: under a TMPDIR longer than ~70 characters it failed to start ("AF_UNIX path too
    long") and every page read with it. The system's folder is used then instead (only the
    socket and multiprocessing's own files go there; TMPDIR stays as it was for the rest)."""
    config = multiprocessing.process.current_process()._config  # type: ignore[attr-defined]
    if config.get("tempdir") is not None or len(tempfile.gettempdir()) <= _SOCKET_ROOM:
        return
    folder = tempfile.mkdtemp(prefix="pymp-", dir="/tmp")
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(folder, True), exitpriority=-100)
    config["tempdir"] = folder


class Pool:
    """At most `size` children of this process, each running one job at a time."""

    def __init__(self, size: int, cpu_limit: float) -> None:
        self.size = size
        self.cpu_limit = cpu_limit
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        _short_temporary_folder()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)

    def run(
        self,
        func: Callable[..., Any],
        *args: Any,
        wall_limit: float,
        what: str,
        cpu_limit: float | None = None,
        subject: str | None = None,
    ) -> Any:
        """`func(*args)` in a child within the CPU budget. Raises OverBudget when it runs out,
        HostilePage when the child crashes (SIGSEGV and the like in a C parser),
        TransientFetchError when it dies otherwise (SIGKILL: out of memory, an operator) or
        outlives `wall_limit` seconds (a stalled machine, not the page's CPU), and the
        child's FetchError as it was raised there. `cpu_limit` overrides the pool's budget
        for this job (a larger page gets more). `subject` names the page in every reason
        ("the target", "the vouch page"): the pool's own, which otherwise speak of "the
        source page", and the child's, told of it with FetchError.about as the checks of
        fetch.hostile speak of "the source"."""
        limit = cpu_limit or self.cpu_limit
        named = subject or "the source page"
        with self._slots:
            child = self._take()
            try:
                child.conn.send((func, args, limit))
            except (BrokenPipeError, OSError):  # died while idle: a fresh one takes the job
                child.end()
                child = _Child(self._context, self.cpu_limit)
                child.conn.send((func, args, limit))
            try:
                if not child.conn.poll(wall_limit):
                    child.end()
                    raise TransientFetchError(f"reading {named} took longer than {wall_limit:g} s")
                reply = child.conn.recv()
            except (EOFError, OSError):
                raise self._ended(child.end(), what, limit, named) from None
            with self._lock:
                self._idle.append(child)
        return _unwrap(reply, subject)

    def _take(self) -> _Child:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Child(self._context, self.cpu_limit)

    def _ended(self, exitcode: int | None, what: str, limit: float, subject: str) -> FetchError:
        """Why the child died: the budget (OverBudget) and a parser's crash (HostilePage) are
        the page's fault; anything else is retried (TransientFetchError)."""
        if exitcode == -signal.SIGPROF:
            return OverBudget(
                f"{subject}'s markup took more than {limit:g} s of CPU to parse "
                f"({what}); pages that costly to read are refused"
            )
        log.warning("a page reader ended with exit code %s reading %s", exitcode, what)
        ending = f"signal {-exitcode}" if exitcode and exitcode < 0 else f"exit code {exitcode}"
        if exitcode is not None and -exitcode in _CRASHES:
            return HostilePage(f"reading {subject} stopped its parser ({ending}; {what})")
        return TransientFetchError(f"the process reading {subject} was stopped ({ending}; {what})")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.end()


def _unwrap(reply: tuple[Any, ...], subject: str | None) -> Any:
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "fetch_error":
        cls, reason, kind, status_code = reply[1:]
        raised: FetchError = cls(reason, kind=kind, status_code=status_code)
        raise raised.about(subject) if subject else raised
    raise RuntimeError(f"reading the source page failed in its child process:\n{reply[1]}")


_pools: dict[tuple[int, float], Pool] = {}
_pools_lock = threading.Lock()


def pool(size: int, cpu_limit: float) -> Pool:
    """This process's pool for these limits, made on first use."""
    key = (size, cpu_limit)
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            found = _pools[key] = Pool(size, cpu_limit)
        return found


def _forget_pools() -> None:
    """A forked process has none of its parent's children (their pipes are the parent's)."""
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools)
