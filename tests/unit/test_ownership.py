"""Owners, teams, actors and the reassignment command."""

import pickle
from typing import Any

import attrs
import pytest

from crmcore import (
    Actor,
    PermissionDeniedError,
    RecordKind,
    RecordReassigned,
    Role,
    ValidationError,
)
from crmcore.domain.ownership import Owned
from tests.records import BUILDERS, T0, contract, customer, opportunity

T1 = T0.add(days=1)


@pytest.mark.parametrize("kind", list(RecordKind))
def test_owner_and_team_are_optional_and_default_to_unassigned(kind: RecordKind) -> None:
    build, record_id = BUILDERS[kind]
    plain = build()
    assert (plain.owner, plain.team, plain.is_assigned) == (None, None, False)
    owned = build(owner="u1", team="t1")
    assert (owned.owner, owned.team, owned.is_assigned) == ("u1", "t1", True)
    assert build(owner="u1").is_assigned is False
    assert build(team="t1").is_assigned is False
    assert owned.record_kind is kind
    assert owned.record_id == record_id


@pytest.mark.parametrize("kind", list(RecordKind))
@pytest.mark.parametrize("field", ["owner", "team"])
@pytest.mark.parametrize("bad", ["", "has space", 7, "x" * 129])
def test_owner_and_team_are_validated_like_ids(kind: RecordKind, field: str, bad: object) -> None:
    build, _ = BUILDERS[kind]
    with pytest.raises(ValidationError) as caught:
        build(**{field: bad})
    assert caught.value.field == field


@pytest.mark.parametrize("kind", list(RecordKind))
def test_reassign_changes_owner_and_team_with_an_event(kind: RecordKind) -> None:
    build, record_id = BUILDERS[kind]
    record = build(owner="u1", team="t1").without_events()
    moved = record.reassign(owner="u2", team="t2", at=T1)
    assert (moved.owner, moved.team, moved.changed_at) == ("u2", "t2", T1)
    assert moved.pending_events == (
        RecordReassigned(
            occurred_at=T1,
            record_kind=kind,
            record_id=record_id,
            previous_owner="u1",
            previous_team="t1",
            owner="u2",
            team="t2",
        ),
    )
    assert record.owner == "u1"  # values are immutable
    if kind is RecordKind.QUOTA:  # a quota is for someone: a user, a team or a territory
        with pytest.raises(ValidationError, match="a quota needs someone"):
            moved.reassign(owner=None, team=None, at=T1)
        with pytest.raises(ValidationError, match="a quota needs someone"):
            build(owner="u1").reassign(owner=None, team=None, at=T1)
        return
    unassigned = moved.reassign(owner=None, team=None, at=T1)
    assert (unassigned.owner, unassigned.team) == (None, None)
    assert type(unassigned) is type(record)
    # the constructor accepts the result: it is a valid state
    assert unassigned == type(unassigned)(**_fields(unassigned))


def _fields(record: Owned) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in attrs.fields(type(record)) if f.init}


def test_reassign_rejects_no_change_bad_ids_and_the_past() -> None:
    record = customer(owner="u1", team="t1")
    with pytest.raises(ValidationError, match="already has this owner and team"):
        record.reassign(owner="u1", team="t1", at=T1)
    with pytest.raises(ValidationError) as caught:
        record.reassign(owner="bad id", team="t1", at=T1)
    assert caught.value.field == "owner"
    with pytest.raises(ValidationError) as caught:
        record.reassign(owner="u1", team="", at=T1)
    assert caught.value.field == "team"
    with pytest.raises(ValidationError):
        record.reassign(owner="u2", team="t1", at=T0.subtract(seconds=1))


def test_closed_records_can_change_hands() -> None:
    won = opportunity(owner="u1", team="t1").win(at=T1)
    assert won.reassign(owner="u2", team="t1", at=T1).owner == "u2"
    cancelled = contract(owner="u1", team="t1").cancel(at=T1, reason="no longer needed")
    assert cancelled.reassign(owner="u2", team="t1", at=T1).owner == "u2"


def test_actor_holds_ids_a_role_and_teams() -> None:
    actor = Actor("u1", "sales_rep", ["t1", "t2", "t1"])
    assert actor == Actor("u1", Role.SALES_REP, frozenset({"t1", "t2"}))
    assert actor.teams == frozenset({"t1", "t2"})
    assert actor.in_team("t1")
    assert not actor.in_team("t3")
    assert not actor.in_team(None)
    assert Actor("admin", Role.ADMIN).teams == frozenset()
    assert {r.value for r in Role} == {
        "sales_rep",
        "sales_manager",
        "service_agent",
        "service_manager",
        "marketing_manager",
        "promotion_leader",
        "admin",
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", Role.ADMIN), "user_id"),
        (("u 1", Role.ADMIN), "user_id"),
        (("u1", "boss"), "role"),
        (("u1", Role.ADMIN, "t1"), "teams"),
        (("u1", Role.ADMIN, 5), "teams"),
        (("u1", Role.ADMIN, ["ok", "not ok"]), "teams"),
    ],
)
def test_actor_rejects_bad_fields(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Actor(*args)
    assert caught.value.field == field


def test_permission_denied_error_names_user_action_and_record() -> None:
    error = PermissionDeniedError(
        user_id="u1",
        action="update",
        record_kind="opportunity",
        record_id="o1",
        reason="the opportunity is owned by another user",
    )
    assert str(error) == (
        "user 'u1' may not update opportunity 'o1': the opportunity is owned by another user"
    )
    assert (error.user_id, error.action, error.record_kind, error.record_id) == (
        "u1",
        "update",
        "opportunity",
        "o1",
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PermissionDeniedError
    assert (str(copy), copy.reason) == (str(error), error.reason)
