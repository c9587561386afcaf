"""The access policy: the table is the only source of decisions."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Actor, RecordKind, Role, ValidationError
from crmcore.domain.ownership import Owned
from crmcore.policy import (
    DEFAULT_POLICY,
    DEFAULT_ROWS,
    Action,
    Decision,
    Scope,
    TablePolicy,
)
from crmcore.rendering import policy_markdown
from crmcore.testing.strategies import actors
from tests.records import record

DOCS = Path(__file__).resolve().parents[2] / "docs"

# How the actor relates to the record, and which scopes let the actor in.
_MINE = {Scope.OWN, Scope.TEAM, Scope.ALL}
_TEAMS = {Scope.TEAM, Scope.TEAM_OTHERS, Scope.ALL}
RELATIONS: dict[str, tuple[str | None, str | None, str | None, set[Scope]]] = {
    "owns, in a team of the actor": ("me", "t1", None, _MINE),
    "someone else's, in a team of the actor": ("other", "t1", None, _TEAMS),
    "owns, in another team": ("me", "t9", None, {Scope.ALL}),
    "someone else's, in another team": ("other", "t9", None, {Scope.ALL}),
    "no owner, in a team of the actor": (None, "t1", None, {Scope.TEAM, Scope.ALL}),
    "owns, no team": ("me", None, None, {Scope.ALL}),
    "unassigned": (None, None, None, {Scope.ALL}),
    "someone else's, another team, in a territory of the actor": (
        "other",
        "t9",
        "z1",
        {Scope.TERRITORY, Scope.ALL},
    ),
    "unassigned, in a territory of the actor": (None, None, "z2", {Scope.TERRITORY, Scope.ALL}),
    "owns, in a team of the actor, another territory": ("me", "t1", "z9", _MINE),
}


@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", list(Role))
def test_every_cell_of_the_table_is_what_decide_says(role: Role, relation: str) -> None:
    owner, team, territory, letting_in = RELATIONS[relation]
    actor = Actor("me", role, {"t1", "t2"}, territories={"z1", "z2"})
    for kind in RecordKind:
        subject = record(kind, owner=owner, team=team, territory=territory)
        for scope in Scope:
            decision = TablePolicy({(role, kind, Action.READ): scope}).decide(
                actor, Action.READ, subject
            )
            assert decision.allowed is (scope in letting_in), (role, kind, scope, relation)
            assert decision.reason
        for action in Action:
            scope = DEFAULT_POLICY.cells[(role, kind, action)]
            decision = DEFAULT_POLICY.decide(actor, action, subject)
            assert decision.allowed is (scope in letting_in), (role, kind, action, relation)
            assert decision.reason


def test_the_default_table_has_every_cell() -> None:
    assert len(DEFAULT_POLICY.cells) == len(Role) * len(RecordKind) * len(Action)
    assert len(DEFAULT_ROWS) == len(Role) * len(RecordKind)


SALES = (RecordKind.CUSTOMER, RecordKind.OPPORTUNITY, RecordKind.CONTRACT)
SERVICE = (RecordKind.SERVICE_CONTRACT, RecordKind.COMPLAINT)


def _scope(role: Role, kind: RecordKind, action: Action) -> Scope:
    return DEFAULT_POLICY.scope(role, kind, action)


def test_the_default_table_says_what_the_sources_say() -> None:
    for kind in SALES:
        for action in (Action.READ, Action.UPDATE):
            assert _scope(Role.SALES_REP, kind, action) is Scope.OWN
            assert _scope(Role.SALES_MANAGER, kind, action) is Scope.TEAM
    for kind in SERVICE:
        for action in (Action.READ, Action.UPDATE):
            assert _scope(Role.SERVICE_AGENT, kind, action) is Scope.OWN
            assert _scope(Role.SERVICE_MANAGER, kind, action) is Scope.TEAM
        assert _scope(Role.SALES_REP, kind, Action.READ) is Scope.NONE
        assert _scope(Role.SALES_MANAGER, kind, Action.READ) is Scope.NONE
    for role in (Role.SERVICE_AGENT, Role.SERVICE_MANAGER):
        assert _scope(role, RecordKind.CUSTOMER, Action.READ) is Scope.TEAM
        assert _scope(role, RecordKind.CUSTOMER, Action.UPDATE) is Scope.NONE
        assert _scope(role, RecordKind.OPPORTUNITY, Action.READ) is Scope.NONE
    approvers = {
        role
        for role in Role
        if _scope(role, RecordKind.OPPORTUNITY, Action.APPROVE) is not Scope.NONE
    }
    assert approvers == {Role.SALES_MANAGER, Role.ADMIN}
    assert _scope(Role.SALES_MANAGER, RecordKind.OPPORTUNITY, Action.APPROVE) is Scope.TEAM
    for kind in RecordKind:
        for action in Action:
            assert _scope(Role.ADMIN, kind, action) is Scope.ALL
            for role in Role:
                if role is Role.MARKETING_MANAGER and kind is RecordKind.CAMPAIGN:
                    # "a marketing manager sees every campaign" (the exam summary)
                    expected = Scope.NONE if action is Action.APPROVE else Scope.ALL
                    assert _scope(role, kind, action) is expected
                elif role is not Role.ADMIN:
                    assert _scope(role, kind, action) is not Scope.ALL


POOL_USERS = ["u1", "u2", "u3"]
POOL_TEAMS = ["t1", "t2", "t3"]


@given(
    actors(users=st.sampled_from(POOL_USERS), team_pool=st.sampled_from(POOL_TEAMS)),
    st.sampled_from(RecordKind),
    st.none() | st.sampled_from(POOL_USERS),
    st.none() | st.sampled_from(POOL_TEAMS),
    st.sampled_from(Action),
)
def test_nobody_but_an_admin_reaches_another_teams_or_teamless_records(  # or campaigns
    actor: Actor, kind: RecordKind, owner: str | None, team: str | None, action: Action
) -> None:
    subject = record(kind, owner=owner, team=team)
    decision = DEFAULT_POLICY.decide(actor, action, subject)
    if actor.role is Role.ADMIN or (
        actor.role is Role.MARKETING_MANAGER
        and kind is RecordKind.CAMPAIGN
        and action is not Action.APPROVE
    ):
        assert decision.allowed
    elif subject.team is None or team not in actor.teams:
        assert not decision.allowed
    elif decision.allowed and owner is None:  # nobody's records: only the team scope
        assert DEFAULT_POLICY.scope(actor.role, kind, action) is Scope.TEAM


def test_reasons_name_roles_and_kinds_not_people() -> None:
    subject = record(RecordKind.CUSTOMER, owner="u2", team="t1")
    denied = DEFAULT_POLICY.decide(Actor("u1", Role.SALES_REP, {"t1"}), Action.UPDATE, subject)
    assert denied == Decision(
        False,
        "the customer is owned by another user; "
        "sales_rep may update only customer records they own",
    )
    assert "Ada" not in denied.reason
    allowed = DEFAULT_POLICY.decide(Actor("u9", Role.ADMIN), "read", subject)  # type: ignore[arg-type]
    assert allowed == Decision(True, "admin may read every customer record")
    service = record(RecordKind.SERVICE_CONTRACT, owner="u1", team="t1")
    assert DEFAULT_POLICY.decide(
        Actor("u1", Role.SALES_REP, {"t1"}), Action.READ, service
    ) == Decision(False, "sales_rep may not read service contract records")


@pytest.mark.parametrize(
    ("actor", "action", "subject", "field"),
    [
        ("u1", Action.READ, record(RecordKind.CUSTOMER, owner=None, team=None), "actor"),
        (
            Actor("u1", Role.ADMIN),
            "peek",
            record(RecordKind.CUSTOMER, owner=None, team=None),
            "action",
        ),
        (Actor("u1", Role.ADMIN), Action.READ, "c1", "record"),
    ],
)
def test_decide_rejects_what_it_cannot_judge(
    actor: object, action: object, subject: object, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.decide(actor, action, subject)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_table_is_replaceable_cell_by_cell_and_missing_cells_deny() -> None:
    rep = Actor("u1", Role.SALES_REP, {"t1"})
    colleagues = record(RecordKind.OPPORTUNITY, owner="u2", team="t1")
    assert not DEFAULT_POLICY.decide(rep, Action.READ, colleagues).allowed
    wider = DEFAULT_POLICY.replace(Role.SALES_REP, RecordKind.OPPORTUNITY, Action.READ, Scope.TEAM)
    assert wider.decide(rep, Action.READ, colleagues).allowed
    assert not wider.decide(rep, Action.UPDATE, colleagues).allowed
    assert wider != DEFAULT_POLICY
    assert TablePolicy.from_rows(DEFAULT_ROWS) == DEFAULT_POLICY
    assert hash(DEFAULT_POLICY) == hash(TablePolicy(dict(DEFAULT_POLICY.cells)))
    assert DEFAULT_POLICY.__eq__("table") is NotImplemented
    assert repr(DEFAULT_POLICY) == "TablePolicy(<378 cells>)"
    empty = TablePolicy({})
    assert empty.scope(Role.ADMIN, RecordKind.CUSTOMER, Action.READ) is Scope.NONE
    assert not empty.decide(Actor("a", Role.ADMIN), Action.READ, colleagues).allowed
    with pytest.raises(TypeError):
        DEFAULT_POLICY.cells[(Role.ADMIN, RecordKind.CUSTOMER, Action.READ)] = Scope.NONE  # type: ignore[index]


@pytest.mark.parametrize(
    "cells",
    [
        [],
        {("admin", RecordKind.CUSTOMER, Action.READ): Scope.ALL},
        {(Role.ADMIN, "customer", Action.READ): Scope.ALL},
        {(Role.ADMIN, RecordKind.CUSTOMER, "read"): Scope.ALL},
        {(Role.ADMIN, RecordKind.CUSTOMER): Scope.ALL},
        {"admin": Scope.ALL},
        {(Role.ADMIN, RecordKind.CUSTOMER, Action.READ): "all"},
    ],
)
def test_a_table_rejects_malformed_cells(cells: object) -> None:
    with pytest.raises(ValidationError) as caught:
        TablePolicy(cells)  # type: ignore[arg-type]
    assert caught.value.field == "cells"


def test_rows_must_have_the_right_shape_and_come_once() -> None:
    with pytest.raises(ValidationError, match="wrong shape"):
        TablePolicy.from_rows([(Role.ADMIN, RecordKind.CUSTOMER, Scope.ALL)])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="wrong shape"):
        TablePolicy.from_rows(["admin"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="twice"):
        TablePolicy.from_rows([DEFAULT_ROWS[0], DEFAULT_ROWS[0]])
    with pytest.raises(ValidationError, match="not a Scope"):
        TablePolicy.from_rows([(Role.ADMIN, RecordKind.CUSTOMER, *("all",) * 6)])  # type: ignore[list-item]


def test_the_markdown_table_has_one_row_per_role_and_kind() -> None:
    text = policy_markdown(DEFAULT_POLICY)
    lines = text.splitlines()
    assert lines[0] == "| role | record | create | read | update | close | reassign | approve |"
    assert len(lines) == 2 + len(Role) * len(RecordKind)
    assert "| sales_rep | opportunity | own | own | own | own | — | — |" in lines
    assert "| sales_manager | opportunity | team | team | team | team | team | team |" in lines


def test_the_docs_show_the_default_table_as_it_is() -> None:
    assert policy_markdown(DEFAULT_POLICY) in (DOCS / "permissions.md").read_text()


def _assigned(kind: RecordKind) -> Owned:
    return record(kind, owner="u1", team="t1")


def test_a_custom_policy_is_any_object_with_decide() -> None:
    class WeekdayDesk:
        """A replacement policy: everyone reads, nobody writes."""

        def decide(self, actor: Actor, action: Action, subject: Owned) -> Decision:
            return Decision(action is Action.READ, "read-only desk")

    policy = WeekdayDesk()
    rep = Actor("u2", Role.SALES_REP, {"t9"})
    assert policy.decide(rep, Action.READ, _assigned(RecordKind.COMPLAINT)).allowed
    assert not policy.decide(rep, Action.UPDATE, _assigned(RecordKind.COMPLAINT)).allowed
