"""Button data keeps the wire format of the buttons already in chats: ``flow:nonce:action[:arg]``, ≤ 64 bytes."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import handlers
from handlers.base import MAX_BUTTON_DATA, ButtonData


@pytest.mark.parametrize(
    "payload", ["s:ab12:date:today", "c:-:go:moi", "x:9f3e:pick:h12", "t:0a0a:save", "rm:beef:drop_one:7:extra"]
)
def test_a_payload_of_the_buttons_already_sent_reads_back_to_the_same(payload: str) -> None:
    assert ButtonData.unpack(payload).pack() == payload


def test_the_parts_are_read_in_order_and_the_argument_keeps_its_colons() -> None:
    assert ButtonData.unpack("rm:beef:drop_one:7:extra") == ButtonData("rm", "beef", "drop_one", "7:extra")
    assert ButtonData("c", "-", "lang", "en").pack() == "c:-:lang:en"
    assert ButtonData.unpack("junk") == ButtonData("junk", "", "")  # a forged payload routes nowhere


def test_a_payload_over_telegrams_64_bytes_is_refused_when_made() -> None:
    ButtonData("s", "ab12", "village", "x" * (MAX_BUTTON_DATA - len("s:ab12:village:"))).pack()
    with pytest.raises(ValueError):
        ButtonData("s", "ab12", "village", "ê" * 30).pack()  # 60 bytes of argument: two bytes a letter


def test_every_flow_has_a_prefix_of_its_own() -> None:
    """Two flows with one prefix would take each other's buttons (the router keeps only one of them)."""
    modules = [importlib.import_module(f"handlers.{info.name}") for info in pkgutil.iter_modules(handlers.__path__)]
    prefixes = [module.FLOW for module in modules if isinstance(getattr(module, "FLOW", None), str)]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
