"""Generated files (charts, report forms) kept for a while so a channel can send them by token."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import Session, select

from storage.models import StoredFile

KEEP_DAYS = 7
MIME_PNG = "image/png"
MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIME_JSON = "application/json"
MIME_CSV = "text/csv"


def save_file(
    session: Session, *, content: bytes, filename: str, mime_type: str, now: dt.datetime, days: int = KEEP_DAYS
) -> StoredFile:
    """Keep a file under a random token (the only way to fetch it) until it expires."""
    row = StoredFile(
        token=secrets.token_urlsafe(24),
        filename=filename,
        mime_type=mime_type,
        content=content,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row


def live_file(session: Session, token: str, now: dt.datetime) -> StoredFile | None:
    """A stored file by token, if it has not expired (None for an unknown or expired token alike)."""
    row = session.exec(select(StoredFile).where(StoredFile.token == token)).first()
    if row is None or row.expires_at <= now:
        return None
    return row
