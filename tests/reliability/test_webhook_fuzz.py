"""Both webhooks of the real running bot under Hypothesis: well-formed updates, mutated ones (a field of the
wrong type, missing or null), random JSON, bytes that are not JSON, huge and odd Unicode strings, and wrong
secrets. The promise: every answer is 200, 400 or 403 (403 exactly when the secret is wrong), never a 500,
and no update ever crashes a handler ("handler failed" in the log).

The bot is the real application with the real router (engine kept in this process, so its log is captured),
Telegram and Zalo both in webhook mode on one aiohttp server, the sandbox's fake APIs behind them. Hypothesis
runs on a worker thread and posts with a blocking client while the server runs on the test's event loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_application
from bot.config import Config
from tests.app.conftest import FAST_LIMITS, UNLIMITED_FLOOD, FakeApi, db_url, fake_api, fake_options, free_port  # noqa: F401
from tests.zalo.conftest import ZaloApi, zalo_api, zalo_options  # noqa: F401

pytestmark = pytest.mark.reliability

TELEGRAM_SECRET = "fuzz-telegram-secret"
ZALO_SECRET = "fuzz-zalo-secret-123"
EXAMPLES = 350  # per webhook; the whole module stays well under a minute

# -- values ---------------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\u200b\u200c\u200d",
        "\u202eRTL\u202c",
        "<b>đậm</b><script>x</script>",
        "*_`[a](http://x)`_*",
        "\x00nul\x00",
        "🙂" * 50,
        "1e18 người",
        "-5 người",
        "3,5 người",
        "ngày 30/02 thôn 2 học vneid 11 người",
        "/start",
        "/start ABCD1234",
        "/ghibuoi",
        "/help",
        "/tiendo",
        "/huy",
        "/lang",
        "1",
        "Đúng",
    ]
)
TEXT = st.one_of(st.text(max_size=200), ODD_TEXT, st.text(min_size=4000, max_size=10_000))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

# -- well-formed updates ----------------------------------------------------------------------------

TG_USER = st.fixed_dictionaries(
    {"id": st.integers(1, 2**40), "is_bot": st.just(False), "first_name": st.text(max_size=64)},
    optional={"last_name": st.text(max_size=64), "language_code": st.sampled_from(["vi", "en", "fr", ""])},
)
TG_CHAT = st.fixed_dictionaries(
    {"id": st.integers(-(2**52), 2**52), "type": st.sampled_from(["private", "group", "supergroup"])}
)
TG_MESSAGE = st.fixed_dictionaries(
    {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31), "chat": TG_CHAT, "from": TG_USER},
    optional={
        "text": TEXT,
        "caption": TEXT,
        "photo": st.lists(
            st.fixed_dictionaries(
                {
                    "file_id": st.text(min_size=1, max_size=40),
                    "width": st.integers(1, 4000),
                    "height": st.integers(1, 4000),
                }
            ),
            max_size=3,
        ),
    },
)
TG_PRESS = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=20),
        "from": TG_USER,
        "chat_instance": st.text(max_size=20),
        "data": st.one_of(st.text(min_size=1, max_size=64), st.sampled_from(["log:ok", "log:cancel", "lang:en"])),
        "message": st.fixed_dictionaries(
            {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31), "chat": TG_CHAT, "text": TEXT}
        ),
    }
)
TG_UPDATE = st.builds(
    lambda update_id, body: {"update_id": update_id, **body},
    st.integers(0, 2**31),
    st.one_of(TG_MESSAGE.map(lambda m: {"message": m}), TG_PRESS.map(lambda q: {"callback_query": q})),
)

ZALO_ID = st.text(alphabet="0123456789abcdef", min_size=8, max_size=20)
ZALO_MESSAGE = st.builds(
    lambda user, name, chat_type, text, message_id, date: {
        "from": {"id": user, "display_name": name, "is_bot": False},
        "chat": {"id": user, "chat_type": chat_type},
        "text": text,
        "message_id": message_id,
        "date": date,
    },
    ZALO_ID,
    st.text(max_size=64),
    st.sampled_from(["PRIVATE", "GROUP"]),
    TEXT,
    ZALO_ID,
    st.integers(0, 2**42),
)
ZALO_UPDATE = st.one_of(
    ZALO_MESSAGE.map(lambda m: {"event_name": "message.text.received", "message": m}),
    ZALO_MESSAGE.map(lambda m: {"ok": True, "result": {"message": m}}),
    st.builds(
        lambda m, url: {"event_name": "message.image.received", "message": {**m, "photo": url}},
        ZALO_MESSAGE,
        st.text(max_size=80),
    ),
)

# -- malformed updates ------------------------------------------------------------------------------


def _slots(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) inside a JSON value: the places a mutation can hit."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((node, key))
        _slots(child, found)
    return found


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A well-formed update with one to three fields replaced by a value of any type, nulled or removed."""
    update = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(update, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "null", "remove"]))
        if action == "remove" and isinstance(container, dict):
            del container[key]
        else:
            container[key] = None if action == "null" else draw(JSON_VALUE)
    return update


def bodies(well_formed: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(kind, body): well-formed, mutated, random JSON, or bytes that may not be JSON at all."""
    return st.one_of(
        well_formed.map(lambda u: ("well-formed", json.dumps(u).encode())),
        mutated(well_formed).map(lambda u: ("mutated", json.dumps(u).encode())),
        JSON_VALUE.map(lambda v: ("random JSON", json.dumps(v).encode())),
        st.binary(max_size=300).map(lambda b: ("bytes", b)),
        # JSON may escape half of a surrogate pair: it decodes to a string no database can store.
        well_formed.map(lambda u: ("lone surrogate", json.dumps(u).replace('"text": "', '"text": "\\ud800').encode())),
    )


# -- the test ---------------------------------------------------------------------------------------


async def test_webhooks_answer_200_400_or_403_and_never_crash(
    db_url: str,  # noqa: F811 (the fixture imported above)
    fake_api: FakeApi,  # noqa: F811
    zalo_api: ZaloApi,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    config = Config(
        database_url=db_url,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        demo_data=False,
        telegram_token=fake_api.fake.token,
        telegram_api_base_url=fake_api.base_url,
        telegram_mode="webhook",
        telegram_secret_token=TELEGRAM_SECRET,
        zalo_token=zalo_api.fake.token,
        zalo_api_base_url=zalo_api.base_url,
        zalo_mode="webhook",
        zalo_secret_token=ZALO_SECRET,
        engine_mode="thread",
        rate_limits=FAST_LIMITS,
        flood=UNLIMITED_FLOOD,
    )
    app = build_application(config, sender_options={"base_backoff": 0.02}, drain_on_stop=1.0)
    await app.start()
    statuses: Counter[tuple[str, str, int]] = Counter()
    unexpected: list[str] = []
    try:
        targets = [
            ("telegram", "/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET, TG_UPDATE),
            ("zalo", "/zalo/webhook", "X-Bot-Api-Secret-Token", ZALO_SECRET, ZALO_UPDATE),
        ]
        for channel, path, header, secret, well_formed in targets:
            await asyncio.to_thread(
                _fuzz, f"{app.web_url}{path}", channel, header, secret, well_formed, statuses, unexpected
            )
    finally:
        await app.stop()
    sent = sum(statuses.values())
    server_errors = sum(n for (_, _, status), n in statuses.items() if status >= 500)
    print(f"\nwebhook-fuzz: {sent} updates, {server_errors} server errors")
    for (channel, kind, status), n in sorted(statuses.items()):
        print(f"  {channel:<8} {kind:<15} {status}: {n}")
    assert not unexpected, unexpected[:5]
    assert server_errors == 0
    assert "handler failed" not in caplog.text
    assert "refused a malformed" in caplog.text  # the log of the bot's threads is captured here
    for channel in ("telegram", "zalo"):
        assert statuses[(channel, "well-formed", 200)] > 0 and statuses[(channel, "wrong secret", 403)] > 0
        assert any(status == 400 for (c, _, status) in statuses if c == channel)


def _fuzz(
    url: str,
    channel: str,
    header: str,
    secret: str,
    well_formed: st.SearchStrategy[dict[str, Any]],
    statuses: Counter[tuple[str, str, int]],
    unexpected: list[str],
) -> None:
    """Post Hypothesis' bodies to one webhook with a blocking client; tally (channel, kind, status)."""
    with httpx.Client(timeout=30.0) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.function_scoped_fixture,
            ],
        )
        @given(body=bodies(well_formed), forged=st.sampled_from([False] * 9 + [True]))
        def post(body: tuple[str, bytes], forged: bool) -> None:
            kind, data = body
            headers = {header: secret, "Content-Type": "application/json"}
            if forged:  # about one in ten: the secret is wrong
                kind, headers[header] = "wrong secret", secret[:-1] + "?"
            status = client.post(url, content=data, headers=headers).status_code
            statuses[(channel, kind, status)] += 1
            allowed = {403} if kind == "wrong secret" else {200} if kind == "well-formed" else {200, 400}
            if status not in allowed:
                unexpected.append(f"{channel} {kind} -> {status}: {data[:200]!r}")

        post()
