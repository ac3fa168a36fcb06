"""The `pingsvc` command: run the service, manage sites and users, migrate the database."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingsvc import create_app, metrics
from pingsvc.db import Database, display_url, services, sqlite_file
from pingsvc.errors import PingError
from pingsvc.home import link_tags
from pingsvc.migrate import upgrade
from pingsvc.models import Account, Site
from pingsvc.serve import ChildSpec, Supervisor
from pingsvc.terminal import printable


def _app() -> Flask:
    """The app, logging at WARNING unless `pingsvc --verbose`: a command says what it did
    itself, and Alembic's INFO lines on every command were noise (the service's own
    processes log at PINGSVC_LOG_LEVEL)."""
    app = create_app()
    context = click.get_current_context(silent=True)
    if not (context and context.find_root().params.get("verbose")):
        root = logging.getLogger()
        root.setLevel(max(root.level, logging.WARNING))
    return app


def stray_var_dir(environ: Mapping[str, str], cwd: Path, database_url: str) -> Path | None:
    """A var/pingsvc.sqlite3 in the current folder that is not the database in use, when
    none was chosen: the default used to be ./var of wherever a command ran (see
    config.default_var_dir), so it may hold an earlier install's data."""
    if environ.get("PINGSVC_VAR_DIR") or environ.get("PINGSVC_DATABASE_URL"):
        return None
    here = cwd / "var"
    used = sqlite_file(database_url)
    if (here / "pingsvc.sqlite3").is_file() and (used is None or here.resolve() != used.parent):
        return here
    return None


def _open_database(app: Flask, *, creating_is_expected: bool = False) -> None:
    """Migrate the service's database and say which one it is, on stderr so that stdout
    stays the command's answer. A command other than serve or db upgrade that finds no
    embedded database creates it with a warning: the server would not see what it stores
    if it runs with another PINGSVC_VAR_DIR or PINGSVC_DATABASE_URL."""
    url = app.config["DATABASE_URL"]
    stray = stray_var_dir(os.environ, Path.cwd(), url)
    if stray is not None:
        click.echo(
            f"warning: {stray / 'pingsvc.sqlite3'} is not the database pingsvc uses; to use "
            f"it, set PINGSVC_VAR_DIR={stray}",
            err=True,
        )
    file = sqlite_file(url)
    new = file is not None and not file.exists()
    upgrade(url)
    click.echo(f"database: {display_url(url)}", err=True)
    if new and not creating_is_expected:
        click.echo(
            f"warning: there was no database at {file}, so this created a new, empty one. "
            "`pingsvc serve` uses it only when it runs with the same PINGSVC_VAR_DIR "
            "(or PINGSVC_DATABASE_URL).",
            err=True,
        )


@contextmanager
def _service(*, creating_is_expected: bool = False) -> Iterator[Flask]:
    """The app of a command that works on the service's data: its database migrated and
    named (_open_database), inside an app context (a task is queued through the app's
    Celery). A PingError the command lets out ends it as a ClickException with the error's
    description, control characters escaped: it may quote what a page or a file said."""
    app = _app()
    _open_database(app, creating_is_expected=creating_is_expected)
    try:
        with app.app_context():
            yield app
    except PingError as exc:
        raise click.ClickException(printable(exc.description)) from None


def _host_arg(raw: str) -> str:
    """A site's host as the user may type it: any case, with a scheme or a path."""
    return raw.strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]


def _registered_site(session: Session, host: str) -> Site:
    """The registered site `host`, or the command ends saying how to register it."""
    row = session.scalar(select(Site).where(Site.host == host))
    if row is None:
        raise click.ClickException(f"{host} is not registered; add it with `pingsvc site add`")
    return row


@click.group()
@click.option(
    "-v", "--verbose", is_flag=True, help="Log at PINGSVC_LOG_LEVEL (INFO) instead of WARNING."
)
def main(verbose: bool) -> None:
    """pingsvc: a self-hostable webmention and pingback receiver."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    with _service(creating_is_expected=True):
        click.echo("database is up to date")


def web_command(
    host: str,
    port: int,
    workers: int,
    threads: int,
    app: str = "pingsvc.webserver:wsgi_app",
    factory: bool = True,
) -> list[str]:
    """The production web server: granian's WSGI interface, `workers` processes of `threads`
    threads each (the most requests a process runs at once; a pingback waiting for its
    verdict holds one). No access log from granian: the app writes one JSON line per
    request, with its request id (pingsvc.obs). No keep-alive: a process keeps the
    connections it accepted, so a few long-lived clients (or a proxy) would load one process
    while the others idle; senders and proxies make one request per connection anyway. On
    SIGTERM the requests in flight are answered, for up to 20 s. A worker process that dies
    is started again. The app is behind pingsvc.webserver's request-line limit (a JSON 414)."""
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        "--backlog", "2048",
        "--http", "1", "--no-ws", "--no-http1-keep-alive",
        "--workers-kill-timeout", "20",
        "--respawn-failed-workers",
        "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    return [*command, app]


def web_env(threads: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The web server's environment: `base` (by default this one) with its thread count, by
    which each of its processes sizes its database pool (PINGSVC_WEB_THREADS)."""
    return {**(os.environ if base is None else base), "PINGSVC_WEB_THREADS": str(threads)}


def _worker_env(app: Flask) -> dict[str, str]:
    """The workers' environment. The embedded broker's consumers take a message by moving
    its file into the temporary folder: on the same file system as the queue that is one
    atomic rename, so of several workers exactly one gets each message (across file systems
    it is a copy and a delete)."""
    env = dict(os.environ)
    # Running as root is the user's choice, made before serve started: Celery's SecurityWarning
    # about it (a dozen lines on every start) says nothing new.
    quiet = "ignore:You're running the worker with superuser privileges"
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), quiet]))
    if not app.config.get("REDIS_URL"):
        folder = Path(app.config["VAR_DIR"]) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(folder)
    return env


def worker_processes(setting: int) -> int:
    """How many worker processes `serve` starts: the setting, or one per core (at most 4)."""
    return setting if setting > 0 else max(1, min(4, os.cpu_count() or 1))


def _worker_command(app: Flask, with_beat: bool, index: int = 0) -> list[str]:
    command = [
        sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
        "--loglevel", str(app.config["LOG_LEVEL"]),
        "--pool", str(app.config["WORKER_POOL"]),
        "--concurrency", str(app.config["WORKER_CONCURRENCY"]),
        "--without-gossip", "--without-mingle",
        "--hostname", f"worker{index}@%h",
    ]  # fmt: skip
    if with_beat:
        command += [
            "--beat",
            "--schedule",
            os.path.join(app.config["VAR_DIR"], "celerybeat-schedule"),
        ]
    return command


# `pingsvc serve`'s web server: one process (beside its workers), this many threads.
SERVE_THREADS = 16


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the whole service (web server, worker and scheduler) in one command."""
    _require_free_port(host, port)
    os.environ.setdefault("PINGSVC_BASE_URL", f"http://{host}:{port}")
    own_metrics = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    app = _app()
    if own_metrics:  # no process of an earlier run is left to write there
        metrics.clear(app.extensions["pingsvc_metrics_dir"])
    _open_database(app, creating_is_expected=True)
    base = app.config["BASE_URL"]
    mode = "PostgreSQL/Redis" if app.config.get("REDIS_URL") else "embedded (SQLite, no Redis)"
    workers, env = worker_processes(int(app.config["WORKER_PROCESSES"])), _worker_env(app)
    children = [  # one worker runs the scheduler too
        ChildSpec(f"worker{index}", _worker_command(app, index == 0, index), env)
        for index in range(workers)
    ]
    children.append(
        ChildSpec("web", web_command(host, port, 1, SERVE_THREADS), web_env(SERVE_THREADS))
    )

    def banner() -> None:
        click.echo(f"pingsvc is listening on {base} ({mode}); data in {app.config['VAR_DIR']}")
        click.echo("Paste these tags into the <head> of your blog's pages:")
        for tag in link_tags(base):
            click.echo(f"  {tag}")
        click.echo("Register a site with: pingsvc site add blog.example   (Ctrl-C stops)")
        click.echo(f"See the widget at {base}/demo; the dashboard is at {base}/dashboard/")

    status = Supervisor(children).run(started=banner)
    if status:
        raise SystemExit(status)


def _require_free_port(host: str, port: int) -> None:
    """Stop with a clear message, before any worker starts, when the port is taken (most
    often by another pingsvc still running)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({exc.strerror}); is pingsvc already "
                "running? Stop it, or choose another port with --port."
            ) from exc


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--workers",
    default=lambda: int(os.environ.get("PINGSVC_WEB_WORKERS", "2")),
    show_default="PINGSVC_WEB_WORKERS or 2",
    type=int,
)
@click.option(
    "--threads",
    default=lambda: int(os.environ.get("PINGSVC_WEB_THREADS", "8")),
    show_default="PINGSVC_WEB_THREADS or 8",
    type=int,
)
def web(host: str, port: int, workers: int, threads: int) -> None:
    """Run only the web server (granian); run the worker with `celery -A worker.celery_app`."""
    app = _app()
    upgrade(app.config["DATABASE_URL"])
    command = web_command(host, port, workers, threads)
    os.execve(sys.executable, command, web_env(threads))


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--site", "site_host", help="The site the mentions are of (added if missing).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["webmention-io", "wordpress", "pingsvc"]),
    help="The files' format (default: detected from each file).",
)
@click.option("--verify", is_flag=True, help="Queue a verification of each imported mention.")
def import_(files: tuple[str, ...], site_host: str | None, fmt: str | None, verify: bool) -> None:
    """Import mentions from webmention.io API pages (links JSON or jf2), a WordPress export
    (WXR) or a pingsvc export. Fetches nothing unless --verify. Importing the same file
    again changes nothing."""
    from pingsvc.portability import command

    with _service() as app:
        status = command.run(app, list(files), site_host, fmt, verify)
    if status:
        raise SystemExit(status)


@main.group()
def site() -> None:
    """Sites (blog hosts) that may receive mentions."""


@site.command("add")
@click.argument("host")
@click.option("--owner", help="E-mail of the account that owns the site.")
@click.option(
    "--policy",
    type=click.Choice(["publish", "hold_new", "hold_all"]),
    default="publish",
    show_default=True,
    help="What happens to verified mentions.",
)
@click.option(
    "--require-vouch",
    is_flag=True,
    help="Answer 449 to webmentions from never-approved domains that bring no vouch.",
)
def site_add(host: str, owner: str | None, policy: str, require_vouch: bool) -> None:
    """Register HOST (e.g. blog.example) so its posts can receive mentions."""
    host = _host_arg(host)
    if not host or " " in host:
        raise click.BadParameter("give a host name such as blog.example", param_hint="HOST")
    with _service() as app, services(app).db.session() as session:
        if session.scalar(select(Site).where(Site.host == host)):
            raise click.ClickException(f"{host} is already registered")
        account = None
        if owner:
            account = session.scalar(select(Account).where(Account.email == owner.lower()))
            if account is None:
                raise click.ClickException(f"no account {owner}; create it with `pingsvc user add`")
        session.add(Site(host=host, owner=account, policy=policy, require_vouch=require_vouch))
        session.commit()
    click.echo(f"registered {host}")


@site.command("list")
def site_list() -> None:
    """List the registered sites."""
    with _service() as app, services(app).db.session() as session:
        rows = session.scalars(select(Site).order_by(Site.host)).all()
        for row in rows:
            owner = row.owner.email if row.owner else "-"
            click.echo(f"{row.host}\t{row.policy}\t{owner}")
    if not rows:
        click.echo("no sites registered yet; add one with `pingsvc site add HOST`", err=True)


@site.command("token")
@click.argument("host")
def site_token(host: str) -> None:
    """Create (or replace) HOST's API token and print it once; the old one stops working."""
    from pingsvc.tokens import rotate

    host = _host_arg(host)
    with _service() as app, services(app).db.session() as session:
        token = rotate(_registered_site(session, host))
        session.commit()
    click.echo(token)
    url = f"{app.config['BASE_URL']}/api/mentions.jf2?domain={host}&token=TOKEN"
    if not os.environ.get("PINGSVC_BASE_URL"):
        # The command can't know where the service listens (serve's --port is its own).
        url += (
            " (PINGSVC_BASE_URL is unset, so this is pingsvc serve's default address; "
            "use the one your service answers on)"
        )
    click.echo(
        f"This is {host}'s API token; it is not stored and won't be shown again. Read every "
        f"mention with {url}",
        err=True,
    )


@main.command()
@click.argument("url")
@click.option("--dry-run", is_flag=True, help="Discover each target's endpoint; send nothing.")
@click.option("--wait", is_flag=True, help="Wait until every target has a final status.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--code",
    default=None,
    help="A private post: the code your token endpoint gives readers (Private Webmention).",
)
@click.option("--realm", default=None, help="A private post's realm, sent with --code.")
def send(
    url: str, dry_run: bool, wait: bool, as_json: bool, code: str | None, realm: str | None
) -> None:
    """Send webmentions (or pingbacks) for URL, a post of a registered site: to its links,
    to links it had before and no longer has, or, when it is gone, to every earlier target.
    The worker (`pingsvc serve`) delivers them. Exits 1 when any ended in error."""
    from pingsvc.send import command

    with _service() as app:
        status = command.run(
            app, url, dry_run=dry_run, wait=wait, as_json=as_json, code=code, realm=realm
        )
    if status:
        raise SystemExit(status)


@main.group()
def feed() -> None:
    """Feeds of your posts: pingsvc sends each new or changed entry."""


@feed.command("add")
@click.argument("host")
@click.argument("feed_url")
@click.option(
    "--send-existing",
    is_flag=True,
    help="Send the entries the feed holds now too (by default they are only recorded).",
)
def feed_add(host: str, feed_url: str, send_existing: bool) -> None:
    """Watch FEED_URL (RSS, Atom, JSON Feed or an h-feed page) of the registered site HOST."""
    from pingsvc.send import feedpoll
    from pingsvc.tasking import enqueue_send_post

    host = _host_arg(host)
    with _service() as app:  # a feedpoll.FeedError is a PingError: _service says it
        shared = services(app)
        result = feedpoll.add_feed(
            shared.db, host, feed_url, shared.pipeline, enqueue_send_post,
            send_existing=send_existing,
        )  # fmt: skip
    click.echo(f"watching {printable(result.url)} for {host}")
    click.echo(printable(result.describe()))
    if not send_existing:
        click.echo("Its new and changed entries will be sent from now on.", err=True)


@feed.command("list")
def feed_list() -> None:
    """List the watched feeds: host, URL, entries, last poll and its error."""
    from pingsvc.send import feedpoll

    with _service() as app:
        rows = feedpoll.list_feeds(services(app).db)
    for row in rows:
        polled = row.polled_at.strftime("%Y-%m-%d %H:%M") if row.polled_at else "never"
        said = printable(row.last_error or "ok")
        click.echo(f"{row.host}\t{printable(row.url)}\t{row.entries} entries\t{polled}\t{said}")
    if not rows:
        click.echo("no feeds watched yet; add one with `pingsvc feed add HOST FEED_URL`", err=True)


@feed.command("poll")
def feed_poll() -> None:
    """Poll every watched feed now and queue the sends of new and changed entries; exits 1
    when a feed could not be read."""
    from pingsvc.send import feedpoll
    from pingsvc.tasking import enqueue_send_post

    with _service() as app:
        shared = services(app)
        results = feedpoll.poll_all(shared.db, shared.pipeline, enqueue_send_post)
    for result in results:
        click.echo(printable(result.describe()))
    if not results:
        click.echo("no feeds watched yet; add one with `pingsvc feed add HOST FEED_URL`", err=True)
    if any(result.outcome == "error" for result in results):
        raise SystemExit(1)


@main.command("export")
@click.option("--site", "host", help="Export only this site (default: every site).")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write, or - for standard output.",
)
def export_command(host: str | None, output: str) -> None:
    """Write everything pingsvc stores (for one site, or all) as a pingsvc export: JSON
    lines that `pingsvc import FILE` reads back (docs/export-format.md)."""
    if host is not None:
        host = _host_arg(host)
    with _service() as app:
        count = _export_to(output, services(app).db, host)
    what = host or "every site"
    click.echo(f"exported {count} records of {what} to {output}", err=True)


def _export_to(output: str, db: Database, host: str | None) -> int:
    """Write the export to the file `output` (or - for standard output); its record count."""
    from pingsvc.portability.export import UnknownSite, export

    if output == "-":
        # UTF-8 whatever the locale says: the file is UTF-8 by definition.
        binary = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        wrapped = io.TextIOWrapper(binary, encoding="utf-8", newline="\n") if binary else None
        try:
            return export(db, wrapped or sys.stdout, site_host=host)
        except UnknownSite as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if wrapped is not None:
                wrapped.flush()
                wrapped.detach()  # leaves sys.stdout's buffer open
    else:
        target = Path(output)
        # Written beside the file and renamed at the end: an export that fails half-way
        # never leaves a truncated file under the name of a backup.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                count = export(db, out, site_host=host)
            partial.replace(target)
        except UnknownSite as exc:
            partial.unlink(missing_ok=True)
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    return count


@main.group()
def retention() -> None:
    """How long rejected and deleted mentions are kept (each site's rules)."""


@retention.command("run")
def retention_run() -> None:
    """Apply every site's retention rules now (the scheduler runs them hourly)."""
    from pingsvc import retention as rules

    with _service() as app, services(app).db.session() as session:
        results = rules.run(session, hooks=rules.erase_hooks(app.extensions))
    for result in results:
        click.echo(result.describe())
    if not results:
        click.echo("no site has retention rules; set them on the site's dashboard page", err=True)


@retention.command("set")
@click.argument("host")
@click.option("--rejected-days", type=int, help="Delete rejected mentions after N days (0: never).")
@click.option("--deleted-days", type=int, help="Erase deleted mentions after N days (0: never).")
def retention_set(host: str, rejected_days: int | None, deleted_days: int | None) -> None:
    """Set HOST's retention rules; an option left out keeps its value."""
    from pingsvc import retention as rules

    host = _host_arg(host)
    with _service() as app, services(app).db.session() as session:
        row = _registered_site(session, host)
        rejected = rules.check_days(
            row.retain_rejected_days if rejected_days is None else rejected_days,
            "--rejected-days",
        )
        deleted = rules.check_days(
            row.retain_deleted_days if deleted_days is None else deleted_days, "--deleted-days"
        )
        rules.set_rules(session, None, row, rejected, deleted)
        session.commit()
    click.echo(
        f"{host}: rejected mentions {rules.describe_days(rejected)}, "
        f"deleted ones {rules.describe_days(deleted)}"
    )


@main.command()
@click.option("--site", "host", required=True, help="The registered site (blog.example).")
@click.option("--domain", help="Forget this source domain and its subdomains.")
@click.option("--author-url", help="Forget this author (their URL, as mentions name it).")
def forget(host: str, domain: str | None, author_url: str | None) -> None:
    """Erase every field stored from a source domain or an author on a site (content,
    author, photo, extra), and block it so nothing from it is stored again."""
    from pingsvc import retention as rules

    if (domain is None) == (author_url is None):
        raise click.UsageError("give exactly one of --domain D or --author-url U")
    kind, value = ("domain", domain) if domain is not None else ("author", author_url)
    host = _host_arg(host)
    with _service() as app, services(app).db.session() as session:
        row = _registered_site(session, host)
        done = rules.forget(
            session, None, row, kind, value or "", hooks=rules.erase_hooks(app.extensions)
        )
        said = done.describe()
    # Webhooks hear of the deletions through the outbox marks the block left: the worker's
    # sweeper sends them, as it does for every mark whose message never went.
    click.echo(printable(said))


@main.group()
def demo() -> None:
    """The /demo page's sample post."""


@demo.command("seed")
def demo_seed() -> None:
    """Store the /demo post's sample mentions (once: run again, it changes nothing)."""
    from pingsvc import demo as samples
    from pingsvc.avatars import store as avatar_store

    with _service(creating_is_expected=True) as app, services(app).db.session() as session:
        base = app.config["BASE_URL"]
        stored = samples.seed(session, base, avatar_store.from_config(app.config))
    if stored:
        click.echo(f"stored {len(samples.SAMPLES)} sample mentions; see them at {base}/demo")
    else:
        click.echo(f"the demo already has its mentions; see them at {base}/demo")


@main.group()
def user() -> None:
    """Accounts that log in to the dashboard."""


@user.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="May see and manage every site.")
def user_add(email: str, password_stdin: bool, admin: bool) -> None:
    """Create an account, or give a restored one (which has none) its password."""
    from werkzeug.security import generate_password_hash

    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("give an e-mail address", param_hint="EMAIL")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password must have at least 8 characters")
    with _service() as app, services(app).db.session() as session:
        found = session.scalar(select(Account).where(Account.email == email))
        if found is not None and found.password_hash is None:
            # Restored from an export, which holds no passwords: this gives it one.
            found.password_hash = generate_password_hash(password, "scrypt")
            found.is_admin = found.is_admin or admin
            session.commit()
            click.echo(f"set the password of {email}")
            return
        if found is not None:
            raise click.ClickException(f"{email} already exists")
        session.add(
            Account(
                email=email,
                password_hash=generate_password_hash(password, "scrypt"),
                is_admin=admin,
            )
        )
        session.commit()
    click.echo(f"created {email}")


if __name__ == "__main__":
    main()
