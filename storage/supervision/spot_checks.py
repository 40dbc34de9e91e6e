"""Spot checks (kiểm tra đột xuất): a random sample of a commune's recent sessions for a supervisor (the commune
admin, the province viewer) to confirm or question, each with its evidence; recorded and audited.

A draw takes up to `SAMPLE_SIZE` live sessions of the last `RECENT_DAYS` days not drawn before; a verdict is
"confirmed" or "questioned" with an optional note. Asking the same thing twice changes nothing (a repeated POST
is harmless); who is told of a questioned session is `to_tell` (the village's team leads, else the person
whose session it is), each once per check through the outbox's idempotency key (`tell_key`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage import audit
from storage.errors import DomainError
from storage.models import ChannelAccount, Member, SpotCheck, TrainingSession, Village, saved_id
from storage.vocab import ROLE_TEAM_LEAD

SAMPLE_SIZE = 5
RECENT_DAYS = 30
NOTE_LIMIT = 500
CONFIRMED, QUESTIONED = "confirmed", "questioned"
VERDICTS = (CONFIRMED, QUESTIONED)


@dataclass(frozen=True)
class Drawn:
    """A spot check with the session it drew and the session's village."""

    check: SpotCheck
    entry: TrainingSession
    village: Village


def draw(
    session: Session,
    actor: Member,
    commune_code: int,
    today: dt.date,
    now: dt.datetime,
    rng: random.Random | None = None,
) -> list[SpotCheck]:
    """Draw up to `SAMPLE_SIZE` of the commune's live sessions of the last `RECENT_DAYS` days, none drawn before."""
    drawn_before = select(SpotCheck.session_id).where(SpotCheck.commune_code == commune_code)
    candidates = [
        entry_id
        for entry_id in session.exec(
            select(col(TrainingSession.id))
            .where(
                TrainingSession.commune_code == commune_code,
                col(TrainingSession.deleted_at).is_(None),
                col(TrainingSession.session_date) >= today - dt.timedelta(days=RECENT_DAYS),
                col(TrainingSession.session_date) <= today,
                col(TrainingSession.id).not_in(drawn_before),
            )
            .order_by(col(TrainingSession.id))
        )
        if entry_id is not None
    ]
    chosen = sorted((rng or random.SystemRandom()).sample(candidates, min(SAMPLE_SIZE, len(candidates))))
    checks = [
        SpotCheck(commune_code=commune_code, session_id=entry_id, drawn_by=saved_id(actor), drawn_at=now)
        for entry_id in chosen
    ]
    session.add_all(checks)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="draw",
        entity="spot_check",
        entity_id=commune_code,
        now=now,
        after={"sessions": [c.session_id for c in checks], "checks": [c.id for c in checks]},
    )
    return checks


def recent_checks(session: Session, commune_code: int, now: dt.datetime) -> list[Drawn]:
    """The commune's spot checks drawn in the last `RECENT_DAYS` days, newest first (one statement)."""
    rows = session.exec(
        select(SpotCheck, TrainingSession, Village)
        .join(TrainingSession, col(TrainingSession.id) == SpotCheck.session_id)
        .join(Village, col(Village.id) == TrainingSession.village_id)
        .where(SpotCheck.commune_code == commune_code, SpotCheck.drawn_at >= now - dt.timedelta(days=RECENT_DAYS))
        .order_by(col(SpotCheck.drawn_at).desc(), col(SpotCheck.id))
    )
    return [Drawn(check, entry, village) for check, entry, village in rows]


def check_of(session: Session, commune_code: int, check_id: int) -> Drawn:
    """A spot check of this commune, with its session; another commune's (or none) is refused."""
    row = session.exec(
        select(SpotCheck, TrainingSession, Village)
        .join(TrainingSession, col(TrainingSession.id) == SpotCheck.session_id)
        .join(Village, col(Village.id) == TrainingSession.village_id)
        .where(SpotCheck.id == check_id)
    ).first()
    if row is None or row[0].commune_code != commune_code or row[1].commune_code != commune_code:
        raise DomainError("spot_check_unknown", id=check_id)
    return Drawn(*row)


def decide(
    session: Session, actor: Member, commune_code: int, check_id: int, verdict: str, note: str, now: dt.datetime
) -> Drawn:
    """Record the supervisor's verdict on a drawn session (audited); the same verdict and note again change nothing."""
    if verdict not in VERDICTS:
        raise DomainError("spot_check_verdict", verdict=verdict)
    drawn = check_of(session, commune_code, check_id)
    check = drawn.check
    cleaned = " ".join(note.split())[:NOTE_LIMIT] or None
    if (check.verdict, check.note) == (verdict, cleaned):
        return drawn
    before = {"verdict": check.verdict, "note": check.note}
    check.verdict, check.note, check.decided_by, check.decided_at = verdict, cleaned, saved_id(actor), now
    session.add(check)
    audit.record(
        session,
        actor_id=actor.id,
        action=verdict,
        entity="spot_check",
        entity_id=check.id,
        now=now,
        before=before,
        after={"verdict": verdict, "note": cleaned, "session": check.session_id},
    )
    return drawn


def to_tell(session: Session, drawn: Drawn) -> list[tuple[Member, ChannelAccount]]:
    """Who hears of a questioned session, with each of their accounts: the village's team leads, else the person
    whose session it is (removed people are not told)."""
    leads = select(Member, ChannelAccount).join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
    rows = list(
        session.exec(
            leads.where(
                Member.village_id == drawn.village.id,
                Member.role == ROLE_TEAM_LEAD,
                col(Member.removed_at).is_(None),
            ).order_by(col(Member.id), col(ChannelAccount.id))
        )
    )
    if not rows:
        rows = list(
            session.exec(
                leads.where(Member.id == drawn.entry.member_id, col(Member.removed_at).is_(None)).order_by(
                    col(ChannelAccount.id)
                )
            )
        )
    return rows


def tell_key(check: SpotCheck, account: ChannelAccount) -> str:
    """The outbox key of telling one account of a questioned check: told once, however often it is posted."""
    return f"spot_check:{check.id}:{account.channel}:{account.chat_id}"
