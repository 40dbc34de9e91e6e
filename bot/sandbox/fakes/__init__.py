"""The parts the sandbox's fake platforms share, and each platform's own.

* `chats.py`: the simulated people, their chats and the message log a test reads;
* `waiting.py`: waking and waiting on the fake's state (what a test's ``wait_for`` rests on);
* `server.py`: the HTTP side of a fake Bot API (routes, start and stop, flood limit, planned faults);
* `webhook.py`: handing updates to the bot's webhook, in order, with bounded retries;
* `files.py`: the files a fake holds (uploaded by the bot, or sent by a person);
* `groups.py`: the book of groups both fakes keep (listing, finding one, a group's transcript);
* `telegram_*.py`, `telegram.py`: the Telegram Bot API; `zalo_methods.py`, `zalo_groups.py`, `zalo.py`: the Zalo
  Bot API.

`bot/sandbox/fake_telegram.py` and `bot/sandbox/fake_zalo.py` name the two fakes for their users.
"""
