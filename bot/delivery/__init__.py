"""The parts of the outbox sender (bot/outbox_sender.py): its database work, the thread that marks sent items,
the book of claimed items and waiting chats, the workers' per-chat queues, and what follows a failed send."""
