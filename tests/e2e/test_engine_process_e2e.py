"""The bot as `bdhvs run` starts it on a machine with two cores: the real clock, the engine in a process of its
own. The same story as a person lives it, in polling and in webhook mode, while the engine's process is killed,
the bot restarts and Telegram redelivers; the export shows what was confirmed, once."""

from __future__ import annotations

import datetime as dt
import os
import signal

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import SystemClock
from bot.engine_process import EngineProcess
from tests.e2e.conftest import MEMBER, VN, Harness, set_up_commune
from tests.e2e.test_telegram_e2e import help_of, log_session_by_buttons, sent_calls, sessions_of

METRICS_TOKEN = "e2e-metrics-token"


def engine_of(harness: Harness) -> EngineProcess:
    assert harness.app is not None and harness.app.engine_mode == "process"
    engine = harness.app.updates
    assert isinstance(engine, EngineProcess) and engine.pid not in (None, os.getpid())
    return engine


async def test_the_engine_in_its_own_process_survives_its_death_a_restart_and_redelivery(harness: Harness) -> None:
    harness.clock = SystemClock()
    harness.extra_env["BDHVS_ENGINE_MODE"] = "process"
    harness.extra_env["BDHVS_METRICS_TOKEN"] = METRICS_TOKEN
    first_day = dt.datetime.now(VN).date()
    commune = await set_up_commune(harness)
    member, fake = commune.member, harness.fake
    engine = engine_of(harness)

    saved = await log_session_by_buttons(member, "Hôm nay", ["VNeID"], "17")

    # The engine's process dies between two messages: the next one is handled by a new process, once.
    dead = engine.pid
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    step = await member.say("/ghigiup", expect="ngày nào")
    assert engine.starts == 2 and engine.pid != dead
    assert len(step.new) == 1  # asked once, not once per attempt
    step = await member.press(step.with_buttons(), "Hôm nay", expect="việc gì")
    step = await member.press(step.with_buttons(), "mức 2", expect="bao nhiêu người")

    # The whole bot restarts in the middle of the flow: a new engine process picks the draft up.
    await harness.restart()
    assert engine_of(harness) is not engine
    step = await member.say("4", expect="Bạn kiểm tra lại số người được hỗ trợ")
    confirmed = await member.press(step.with_buttons(), "Đúng", expect="Đã lưu số người được hỗ trợ")

    # Telegram sends both confirmations again: nothing is saved or said twice.
    before = sent_calls(harness)
    for update_id in (saved.update_id, confirmed.update_id):
        fake.redeliver(update_id)
        await fake.wait_until_acknowledged(update_id)
    await harness.settle()
    assert sent_calls(harness) == before

    # The engine's outcomes come back to this process, where /metrics counts them (since the restart).
    assert harness.app is not None
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    url = f"{harness.app.web_url}/metrics"
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        assert response.status == 200
        exposition = await response.text()
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
    telegram = (("channel", "telegram"),)
    assert found[("bdhvs_updates_total", (*telegram, ("result", "duplicate")))] == 2
    processed = found[("bdhvs_updates_total", (*telegram, ("result", "processed")))]
    assert processed >= 2 and found[("bdhvs_update_seconds_count", telegram)] == processed

    export = await harness.export()
    days = {first_day.isoformat(), dt.datetime.now(VN).date().isoformat()}  # a run across midnight
    assert [row[1:] for row in sessions_of(export)] == [("Thôn 2", ["vneid"], 17, 0)]
    assert [row[1:] for row in help_of(export)] == [("Thôn 2", "vneid_level2", 4)]
    assert {row[0] for row in sessions_of(export) + help_of(export)} <= days
    assert member.user_id == MEMBER
