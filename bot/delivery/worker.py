"""One delivery worker's chats: each chat's claimed items in id order, and which chat goes next.

The sender hashes every chat to one worker, which sends that chat's items one at a time, so a chat never has two
items in flight while different chats go out in parallel. Replies go first: a worker sends an item without an
idempotency key (a reply in a conversation) before items with one (reminders, notices to others) whenever both
are ready; among its chats it picks one that may send now, so a slow chat does not hold back the others.
"""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.messages import ChatKey
from storage.outbox import OutboxItem

ChatWait = Callable[[ChatKey, OutboxItem, float], float]  # seconds before the chat's next item may go


@dataclass
class Worker:
    """A worker's queued chats (round robin order), its wake-up, its task and the item it is sending."""

    index: int
    chats: collections.OrderedDict[ChatKey, collections.deque[OutboxItem]] = field(
        default_factory=collections.OrderedDict
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    current: OutboxItem | None = None

    def queue(self, key: ChatKey, item: OutboxItem) -> None:
        """Queue a claimed item with its chat, in id order, and wake the worker."""
        queue = self.chats.get(key)
        if queue is None:
            self.chats[key] = collections.deque([item])
        elif not queue or queue[-1].id < item.id:
            queue.append(item)
        else:  # another writer's item committed before ones already queued: it goes first
            position = next(i for i, queued in enumerate(queue) if queued.id > item.id)
            queue.insert(position, item)
        self.wake.set()

    def pick(self, now: float, waiting: Callable[[ChatKey], bool], chat_wait: ChatWait) -> tuple[ChatKey | None, float]:
        """The chat to send next (a reply first) and, when none may send now, the seconds until one may."""
        background: ChatKey | None = None
        soonest = math.inf
        for key, queue in self.chats.items():
            if waiting(key):
                continue  # its last item was answered, not yet marked: the next waits (woken by the mark)
            wait = chat_wait(key, queue[0], now)
            if wait > 0:
                soonest = min(soonest, wait)
            elif queue[0].idempotency_key is None:
                return key, 0.0  # a reply to someone in a conversation: first
            elif background is None:
                background = key  # a reminder or a notice: when no reply is ready
        return background, soonest

    def take(self, key: ChatKey) -> OutboxItem:
        """The chat's next item, out of the queue; the chat moves to the back (round robin between chats)."""
        queue = self.chats[key]
        item = queue.popleft()
        if queue:
            self.chats.move_to_end(key)
        else:
            del self.chats[key]
        return item

    def drop(self, key: ChatKey) -> list[OutboxItem]:
        """Take the chat's queued items out (they wait for an earlier one and are read again later)."""
        return list(self.chats.pop(key, None) or ())

    def drop_ids(self, ids: set[int]) -> list[OutboxItem]:
        """Take these items out of their chats' queues (no longer this instance's to send)."""
        dropped: list[OutboxItem] = []
        for key in list(self.chats):
            queue = self.chats[key]
            kept = collections.deque(item for item in queue if item.id not in ids)
            if len(kept) != len(queue):
                dropped.extend(item for item in queue if item.id in ids)
                if kept:
                    self.chats[key] = kept
                else:
                    del self.chats[key]
        return dropped

    def drop_all(self) -> list[OutboxItem]:
        """Take every queued item out (stopping: they stay pending in the database)."""
        items = [item for queue in self.chats.values() for item in queue]
        self.chats.clear()
        return items
