"""Several bots on one channel (a bot per province): the sender's one renderer for the channel, which hands each
outbox item to the renderer of the bot the item names.

The outbox sender knows renderers by channel; a deployment with one bot per channel gives it that bot's renderer
directly, one with several gives it a `BotRenderers`. An item naming no bot (`OutboxItem.bot` None) is the
channel's default bot's; one naming a bot this process does not run fails as refused (a bot removed from the
config: its items cannot be sent by another token, whose chats and ids differ).
"""

from __future__ import annotations

from bot.channels.base import UNSEEN_WHEN_REPEATED, ChannelRenderer, PermanentError, is_group_chat
from storage.outbox import OutboxItem


class BotRenderers:
    """The renderers of one channel's bots, by key (None: the default bot)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.renderers: dict[str | None, ChannelRenderer] = {}

    def add(self, key: str | None, renderer: ChannelRenderer) -> None:
        """Deliver items naming `key` (None: naming no bot) through `renderer`."""
        self.renderers[key] = renderer

    @property
    def unseen_when_repeated(self) -> frozenset[str]:
        """The kinds a person does not see twice: the same for every bot of a channel."""
        first = next(iter(self.renderers.values()), None)
        kinds = getattr(first, "unseen_when_repeated", None)
        return kinds if isinstance(kinds, frozenset) else UNSEEN_WHEN_REPEATED

    def is_group_chat(self, chat_id: str) -> bool:
        """Whether a chat is a group: chat ids look alike for every bot of a channel."""
        return any(is_group_chat(renderer, chat_id) for renderer in self.renderers.values())

    async def deliver(self, item: OutboxItem) -> None:
        """Send the item through its bot's renderer."""
        renderer = self.renderers.get(item.bot)
        if renderer is None:
            raise PermanentError(f"no {self.channel} bot {item.bot!r} is configured")
        await renderer.deliver(item)
