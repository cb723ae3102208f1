"""A file send's uploaded media id, kept by outbox row, for every channel that uploads before it sends (WeCom,
DingTalk): a send retried after a crash or a failed send reuses the first upload instead of uploading again.

Why: an upload is a paid call on DingTalk and a new file to the platform; on WeCom a new media_id also defeats
the duplicate check, so the file would show twice. A kept media id also tells a retry that what the channel
sends before the upload (a caption) went out already, and a platform without a duplicate check (DingTalk) marks
the file message sent, so a retry after the process died between sending and the outbox hearing of it skips it.

    media_id = await media_id_for(db, clock, item.id, partial(api.upload_media, name, content), valid_for=DAYS_3)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import Clock
from storage.db import Database
from storage.models import MediaUpload


@dataclass(frozen=True)
class KeptUpload:
    media_id: str
    sent: bool  # the file message went out with it (for a platform without a duplicate check: DingTalk)


async def kept_upload(db: Database, outbox_id: int, *, now: datetime, valid_for: timedelta | None) -> KeptUpload | None:
    """What this send uploaded, while the platform still honours the media id (`valid_for` None: for ever)."""
    async with db.session() as s:
        kept = await s.get(MediaUpload, outbox_id)
    if kept is None or (valid_for is not None and now - kept.uploaded_at >= valid_for):
        return None
    return KeptUpload(kept.media_id, kept.sent_at is not None)


async def mark_sent(db: Database, outbox_id: int, *, now: datetime) -> None:
    """The file message of this send went out: a retry (the process died before the outbox heard) skips it."""
    async with db.session() as s:
        row = await s.get(MediaUpload, outbox_id)
        if row is not None:
            row.sent_at = now
            s.add(row)


async def media_id_for(
    db: Database,
    clock: Clock,
    outbox_id: int,
    upload: Callable[[], Awaitable[str]],
    *,
    valid_for: timedelta | None,
) -> str:
    """The kept media id of this send, else `upload()`'s, kept for a retry."""
    now = clock.now()
    if (kept := await kept_upload(db, outbox_id, now=now, valid_for=valid_for)) is not None:
        return kept.media_id
    media_id = await upload()
    async with db.session() as s:
        row = await s.get(MediaUpload, outbox_id) or MediaUpload(outbox_id=outbox_id, media_id=media_id)
        row.media_id, row.uploaded_at = media_id, now
        s.add(row)
    return media_id
