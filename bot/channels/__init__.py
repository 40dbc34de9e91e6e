"""Channel adapters: turn platform updates into `Incoming` and deliver outbox items to the platform."""

from bot.channels.base import (
    ChannelRenderer,
    DeliveryError,
    PermanentError,
    RetryAfter,
    TransientError,
    Unreachable,
)

__all__ = ["ChannelRenderer", "DeliveryError", "PermanentError", "RetryAfter", "TransientError", "Unreachable"]
