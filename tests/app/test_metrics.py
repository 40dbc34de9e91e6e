"""GET /metrics on the running application: updates by result, time to commit, sends by result (ok, 429, 5xx,
403), the outbox by status, leader roles; only with the configured bearer token, and not served without one."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import BotApplication
from bot.config import FloodLimits
from tests.app.conftest import AppFactory, FakeApi, outbox_rows, wait_until

TOKEN = "scrape-Secret-42"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(app: BotApplication, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as client, client.get(f"{app.web_url}/metrics", headers=headers) as response:
        return response.status, await response.text()


def samples(exposition: str) -> Samples:
    """Every sample of the exposition by (name, sorted labels)."""
    found: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_updates_sends_and_the_outbox(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    app = await make_app(metrics_token=TOKEN, flood=FloodLimits(per_minute=1.0, burst=4))

    hello = fake.user_says(3001, "hello")
    await fake.wait_for_bot_messages(3001, 1)
    faults.add("sendMessage", 429, "Too Many Requests: retry after 0.1", retry_after=0.1)
    fake.user_says(3001, "again")
    await fake.wait_for_bot_messages(3001, 2)
    faults.add("sendMessage", 502, "Bad Gateway")
    fake.user_says(3001, "boom")  # the handler crashes: counted as failed, the person gets an apology
    await fake.wait_for_bot_messages(3001, 3)
    faults.add("sendMessage", 403, "Forbidden: bot was blocked by the user")
    fake.user_says(3002, "hi")
    await wait_until(lambda: any(r.status == "failed" for r in outbox_rows(app.database)), what="the 403")

    # The same update again (a redelivery), and a flood from one account (4 at once, then 1 a minute).
    assert hello is not None
    fake.redeliver(hello)
    for n in range(5):
        fake.user_says(3003, f"n{n}")
    await fake.wait_for_bot_messages(3003, 5)  # four echoes and the notice
    await wait_until(lambda: fake.pending_update_count == 0, what="every update read")
    assert await app.sender.drain()

    status, body = await scrape(app)
    assert status == 200
    found = samples(body)
    updates = {
        result: value(found, "bdhvs_updates_total", channel="telegram", result=result)
        for result in ("processed", "duplicate", "failed", "dropped", "error")
    }
    # hello, again, hi, n0-n3 processed; boom failed; hello again duplicate; n4 dropped
    assert updates == {"processed": 7, "duplicate": 1, "failed": 1, "dropped": 1, "error": 0}
    assert value(found, "bdhvs_update_seconds_count", channel="telegram") == 7
    assert 0 < value(found, "bdhvs_update_seconds_sum", channel="telegram") < 7 * 5
    assert value(found, "bdhvs_update_seconds_bucket", channel="telegram", le="+Inf") == 7

    rows = outbox_rows(app.database)
    sends = {
        result: value(found, "bdhvs_sends_total", channel="telegram", result=result)
        for result in ("ok", "429", "5xx", "403", "timeout")
    }
    assert sends == {"ok": sum(r.status == "sent" for r in rows), "429": 1, "5xx": 1, "403": 1, "timeout": 0}
    assert sends["ok"] >= 8  # six echoes, the apology, the flood notice (and the command menus)
    assert value(found, "bdhvs_outbox_messages", status="failed") == 1
    assert value(found, "bdhvs_outbox_messages", status="pending") == 0
    assert value(found, "bdhvs_outbox_messages", status="held") == 0
    for role in ("sender", "scheduler", "polling:telegram"):
        assert value(found, "bdhvs_leader_roles", role=role) == 1

    # Without the token, or with another, nothing is shown.
    assert (await scrape(app, None))[0] == 401
    assert (await scrape(app, "wrong"))[0] == 401


async def test_no_metrics_without_a_token_and_the_app_is_ready(make_app: AppFactory) -> None:
    app = await make_app()
    assert (await scrape(app))[0] == 404
    async with aiohttp.ClientSession() as client, client.get(f"{app.web_url}/readyz") as response:
        body = await response.text()
    if app.database.is_sqlite:
        assert (response.status, body) == (200, "ready")
    else:  # several instances may share the database: it says which roles this one holds
        assert response.status == 200 and body.startswith("ready\nroles: polling:telegram:")
        assert body.endswith(", scheduler, sender")
