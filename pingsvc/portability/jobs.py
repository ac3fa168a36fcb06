"""The dashboard's imports: an uploaded file kept under VAR_DIR/imports, imported on the worker
as `pingsvc import` would (`run`), its progress and report kept on its ImportJob row."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import update

from pingsvc.db import Database
from pingsvc.models import ImportJob, Site, utcnow
from pingsvc.portability import formats, restore, webmention_io, wordpress
from pingsvc.portability.importer import ImportFormatError, ImportRefused, Report, import_records
from pingsvc.portability.records import Record

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINAL = (DONE, FAILED)
DETECT = "detect"


def upload_path(var_dir: str | Path, filename: str) -> Path:
    """Where an upload is kept until its import ends: a fresh name, never the user's."""
    folder = Path(var_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "".join(c for c in Path(filename).suffix[:8] if c.isalnum() or c == ".")
    return folder / f"{uuid.uuid4().hex}{suffix}"


def save_upload(stream: BinaryIO, path: Path) -> int:
    """Copy the upload to `path` in chunks (a 200 MB export is never held in memory)."""
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    return path.stat().st_size


def _records(path: Path, fmt: str) -> Iterator[Record]:
    if fmt == formats.WORDPRESS:
        return wordpress.read_files([path])
    return webmention_io.read_files([path])


def _finish(db: Database, job_id: int, status: str, summary: str | None, error: str | None) -> None:
    with db.session() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=status, summary=summary, error=error, finished_at=utcnow())
        )
        session.commit()


def run(db: Database, job_id: int) -> str | None:
    """Import the job's file and store how it went; the final status, or None when there is
    nothing to do (an unknown job, or one already ended: a message delivered twice)."""
    with db.session() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status in FINAL:
            return None
        job.status, job.records = RUNNING, 0
        site = session.get(Site, job.site_id) if job.site_id else None
        path, fmt, verify = Path(job.path), job.format, job.verify
        host = site.host if site else None
        session.commit()

    def progress(count: int) -> None:
        with db.autocommit.connect() as conn:  # seen by the page at once
            conn.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(records=ImportJob.records + count)
            )

    try:
        if fmt == DETECT:
            fmt = formats.detect(path)
        report: Report
        if fmt == formats.PINGSVC:
            report = restore.restore(db, [path], progress=progress)
        elif host is None:
            raise ImportRefused("choose the site whose posts these mentions are of")
        else:
            report = import_records(
                db, _records(path, fmt), site_host=host, create_site=False, verify=verify,
                progress=progress,
            )  # fmt: skip
    except ImportFormatError as exc:
        done = exc.report.summary() if exc.report is not None else None
        _finish(db, job_id, FAILED, done, exc.message)
        return FAILED
    except ImportRefused as exc:
        _finish(db, job_id, FAILED, None, str(exc))
        return FAILED
    except Exception:
        # Not the file's fault: say so on the page (the log has the trace), then let the
        # task fail as any task does.
        _finish(db, job_id, FAILED, None, "the import stopped on an error of the service's; "
                "what was stored before it stays (try again: it is idempotent)")  # fmt: skip
        raise
    finally:
        path.unlink(missing_ok=True)
    _finish(db, job_id, DONE, report.summary(), None)
    log.info("import %s done: %s", job_id, report.summary())
    return DONE
