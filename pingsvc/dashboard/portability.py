"""Dashboard pages for moving data: the Import page (upload a file; the worker imports it; its
page shows progress and the report) and each site's Export download."""

from __future__ import annotations

import io
import re
import tempfile

from flask import current_app, redirect, render_template, request, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account, current_account
from pingsvc.dashboard.blueprint import FormError, bp
from pingsvc.db import db_session, services
from pingsvc.models import ImportJob, utcnow
from pingsvc.portability import formats, jobs
from pingsvc.portability.export import export
from pingsvc.tasking import enqueue_import

RECENT = 20  # imports listed on the Import page
CHOICES = {
    jobs.DETECT: "Detect from the file",
    formats.WEBMENTION_IO: "webmention.io (jf2 or links JSON)",
    formats.WORDPRESS: "WordPress export (WXR)",
    formats.PINGSVC: "pingsvc export (admins)",
}


def raise_upload_limit() -> None:
    """An upload may be far larger than any other request (PINGSVC_IMPORT_MAX_BYTES), but only
    for a logged-in account, and set before the CSRF check reads the form."""
    if request.endpoint == "dashboard.import_upload" and current_account() is not None:
        request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])


@bp.get("/import")
def import_page() -> str:
    me, db = account(), db_session()
    recent = db.scalars(
        select(ImportJob)
        .where(ImportJob.account_id == me.id)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(RECENT)
    ).all()
    return render_template(
        "dashboard/import.html", sites=access.sites(db, me), choices=CHOICES, recent=recent,
        limit=int(current_app.config["IMPORT_MAX_BYTES"]),
    )  # fmt: skip


@bp.post("/import")
def import_upload() -> Response:
    me, db = account(), db_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FormError("Choose the file to import.")
    fmt = request.form.get("format", jobs.DETECT)
    if fmt not in CHOICES:
        raise FormError(f"Choose a format: {', '.join(CHOICES)}.")
    if fmt == formats.PINGSVC and not me.is_admin:
        raise FormError("Only an admin may restore a pingsvc export: it holds whole sites.", 403)
    site_id = None
    if fmt != formats.PINGSVC:
        raw = request.form.get("site", "")
        if not raw.isdigit():
            raise FormError("Choose the site whose posts these mentions are of.")
        site_id = access.site(db, me, int(raw)).id
    path = jobs.upload_path(current_app.config["VAR_DIR"], upload.filename)
    jobs.save_upload(upload.stream, path)  # type: ignore[arg-type]
    job = ImportJob(
        account_id=me.id, site_id=site_id, filename=upload.filename[:255], path=str(path),
        format=fmt, verify=request.form.get("verify") == "on", status=jobs.QUEUED,
        records=0, created_at=utcnow(),
    )  # fmt: skip
    db.add(job)
    db.commit()
    if not enqueue_import(job.id):
        job.status, job.error = jobs.FAILED, "the worker's queue is not answering; try again soon"
        db.commit()
        path.unlink(missing_ok=True)
    return redirect(url_for("dashboard.import_job", job_id=job.id), code=303)


@bp.get("/imports/<id:job_id>")
def import_job(job_id: int) -> str:
    me, db = account(), db_session()
    job = db.get(ImportJob, job_id)
    if job is None or (job.account_id != me.id and not me.is_admin):
        raise FormError("There is no such import among yours.", 404)
    site = access.site(db, me, job.site_id) if job.site_id else None
    return render_template("dashboard/import_job.html", job=job, site=site, final=jobs.FINAL)


def _download_name(host: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9.-]", "_", host)
    return f"pingsvc-{safe}-{utcnow():%Y%m%d-%H%M%S}.jsonl"


@bp.get("/sites/<id:site_id>/export")
def export_site(site_id: int) -> Response:
    """Everything the site has, as `pingsvc export --site HOST` writes it. Written to a spooled
    file first (in memory while small, on disk beyond), so the database is read in one go
    and memory stays flat whatever the size."""
    site = access.site(db_session(), account(), site_id)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - sent
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="\n", write_through=True)
    export(services().db, text, site_host=site.host)
    text.flush()
    text.detach()
    spool.seek(0)
    return send_file(
        spool, mimetype="application/x-ndjson", as_attachment=True,
        download_name=_download_name(site.host), max_age=0,
    )  # fmt: skip
