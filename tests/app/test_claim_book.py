"""The sender's claim book (bot/delivery/claims.py): which items are in hand, and, with leases, which a read
handed out lately, so that a reply's hand-over arriving after a read found it is not sent twice."""

from __future__ import annotations

from bot.delivery.claims import READ_LATELY_SECONDS, ClaimBook


def test_an_item_read_is_remembered_for_a_while_then_forgotten() -> None:
    now = [1000.0]
    book = ClaimBook(10, on_unblock=lambda: None, on_room=lambda: None, now=lambda: now[0])
    book.note_read(7)
    assert book.read_lately(7) and not book.read_lately(8)
    now[0] += READ_LATELY_SECONDS - 1
    book.note_read(8)
    book.forget_old_reads()
    assert book.read_lately(7) and book.read_lately(8)  # both within the minute
    now[0] += 2
    book.forget_old_reads()
    assert not book.read_lately(7) and book.read_lately(8)  # 7 was read over a minute ago
    book.reset()
    assert not book.read_lately(8)  # a restart reads everything afresh


def test_claims_and_releases_count_the_room_left() -> None:
    rooms: list[int] = []
    book = ClaimBook(4, on_unblock=lambda: None, on_room=lambda: rooms.append(book.room()))
    for item in range(1, 5):
        book.claim(item)
    assert book.room() == 0
    seq = book.seq
    book.release(1)
    book.release(2)  # half the claims released after a full house: read more
    assert rooms == [2] and book.released_since(2, seq) and not book.released_since(3, seq)
