"""The table models' defaults: a JSON field left out of a new row gets a fresh empty value, made by a plain
function (pydantic inspects a default factory's signature on every row built; a builtin's costs ~0.1 ms)."""

from __future__ import annotations

import datetime as dt
import types

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from storage.models import ConversationState, TrainingSession

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _table_models() -> list[type[SQLModel]]:
    return [mapper.class_ for mapper in SQLModel._sa_registry.mappers]


def test_every_default_factory_of_a_table_is_a_plain_function() -> None:
    factories = {
        f"{model.__name__}.{name}": field.default_factory
        for model in _table_models()
        for name, field in model.model_fields.items()
        if field.default_factory is not None
    }
    assert factories  # the JSON fields have them
    builtins = {name: factory for name, factory in factories.items() if not isinstance(factory, types.FunctionType)}
    assert builtins == {}


def test_rows_built_without_their_json_fields_get_their_own_empty_values() -> None:
    first, second = (
        TrainingSession(
            commune_code=18196,
            village_id=1,
            session_date=NOW.date(),
            topics=["vneid"],
            attendees=12,
            member_id=1,
            author_id=1,
            created_at=NOW,
            updated_at=NOW,
        )
        for _ in range(2)
    )
    first.evidence.append({"kind": "photo"})
    assert second.evidence == []
    state, other = (ConversationState(channel="telegram", user_id=user, updated_at=NOW) for user in ("1", "2"))
    assert state.data == {} and state.data is not other.data
