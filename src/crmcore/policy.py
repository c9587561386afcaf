"""Data permissions: who may do what with which record, as a pure, replaceable policy.

An `AccessPolicy` answers one question, ``decide(actor, action, record)``,
with a `Decision`. The services (`crmcore.services`) ask it for every record
a use case reads or changes when an `Actor` is given.

`DEFAULT_POLICY` is a `TablePolicy`: a table from (role, kind of record,
action) to a `Scope`, written below as data and rendered in the docs. The
sources: sales reps and sales managers use the same system and differ in
data permissions; a manager sees the whole team; approvals are a manager's
function; reps read their own quotas, and managers set and read the quotas
of the others in their teams, never their own. Nobody reads another team's
records except an admin, and a marketing manager the campaigns (the sources:
a marketing manager sees every campaign); only roles with the ``all`` scope
see records with no team. The ``territory`` scope is there for policies that
give managers the records of the customers in their territories (see
``docs/permissions.md``); the default table does not use it.
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Protocol

import attrs

from crmcore.domain.fields import Choice, items_of, member
from crmcore.domain.kinds import RecordKind
from crmcore.domain.ownership import Actor, Owned, Role
from crmcore.errors import ValidationError

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_ROWS",
    "AccessPolicy",
    "Action",
    "Decision",
    "Scope",
    "TablePolicy",
]


class Action(Choice):
    """What an actor does to a record.

    ``close`` covers winning, losing, cancelling and closing, and undoing them
    (reopening, winning back); ``approve`` covers approving and rejecting
    approval requests; ``update`` every other change (requesting an approval
    included).
    """

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    CLOSE = "close"
    REASSIGN = "reassign"
    APPROVE = "approve"


class Scope(Choice):
    """Which records of a kind a role may act on.

    - ``none``: no record;
    - ``own``: records the actor owns, in one of the actor's teams;
    - ``team``: records of the actor's teams (owned by anyone, or by nobody);
    - ``team_others``: records of the actor's teams owned by another user
      (a manager sets the quotas of their team, never their own);
    - ``territory``: records in one of the actor's territories (the
      territories they manage and their descendants: `Actor.territories`);
    - ``all``: every record, those with no team included.
    """

    NONE = "none"
    OWN = "own"
    TEAM = "team"
    TEAM_OTHERS = "team_others"
    TERRITORY = "territory"
    ALL = "all"


@attrs.frozen
class Decision:
    """A policy's answer: allowed or not, and why (ids and roles only, no personal data)."""

    allowed: bool
    reason: str


class AccessPolicy(Protocol):
    """Decides what an actor may do; must be pure (no clock, no I/O, no state)."""

    def decide(self, actor: Actor, action: Action, record: Owned) -> Decision:
        """Whether ``actor`` may do ``action`` to ``record``, and why."""
        ...


Cell = tuple[Role, RecordKind, Action]
"""(role, kind of record, action): one cell of a policy table."""

Row = tuple[Role, RecordKind, Scope, Scope, Scope, Scope, Scope, Scope]
"""A role, a kind of record, then the scope of each `Action`, in declaration order."""

_ACTIONS = tuple(Action)


def _label(kind: RecordKind) -> str:
    return kind.label


class TablePolicy:
    """An `AccessPolicy` that is a table of scopes; missing cells deny (scope ``none``).

    Args:
        cells: (role, record kind, action) → scope.

    Raises:
        ValidationError: a key that is not a (Role, RecordKind, Action)
            triple, or a value that is not a Scope.
    """

    __slots__ = ("_cells", "_hash")

    def __init__(self, cells: Mapping[Cell, Scope]) -> None:
        if not isinstance(cells, Mapping):
            raise ValidationError(
                "cells", "must be a mapping", allowed="(Role, RecordKind, Action) → Scope"
            )
        checked: dict[Cell, Scope] = {}
        for key, scope in cells.items():
            if (
                not isinstance(key, tuple)
                or len(key) != 3
                or not isinstance(key[0], Role)
                or not isinstance(key[1], RecordKind)
                or not isinstance(key[2], Action)
            ):
                raise ValidationError(
                    "cells", "has a key that is not a cell", allowed="(Role, RecordKind, Action)"
                )
            if not isinstance(scope, Scope):
                raise ValidationError("cells", "has a value that is not a Scope", allowed="Scope")
            checked[key] = scope
        self._cells = MappingProxyType(checked)
        # Computed once: a policy is hashed on every cached lookup that takes it.
        self._hash = hash(frozenset(checked.items()))

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> "TablePolicy":
        """Build a table from rows: role, record kind, then one scope per action.

        Raises:
            ValidationError: a malformed row, or a (role, kind) given twice.
        """
        cells: dict[Cell, Scope] = {}
        for row in items_of(rows, "rows", "tuples (Role, RecordKind, one Scope per Action)"):
            if not isinstance(row, tuple) or len(row) != 2 + len(_ACTIONS):
                raise ValidationError(
                    "rows",
                    "has a row of the wrong shape",
                    allowed="(Role, RecordKind, then one Scope per Action)",
                )
            role, kind, *scopes = row
            role = member(Role, role, "role")
            kind = member(RecordKind, kind, "kind")
            if any((role, kind, action) in cells for action in _ACTIONS):
                raise ValidationError(
                    "rows", "gives one role and kind twice", allowed="one row per role and kind"
                )
            for action, scope in zip(_ACTIONS, scopes, strict=True):
                cells[(role, kind, action)] = scope
        return cls(cells)

    @property
    def cells(self) -> Mapping[Cell, Scope]:
        """The table, read-only (cells that are not there deny)."""
        return self._cells

    def scope(self, role: Role, kind: RecordKind, action: Action) -> Scope:
        """The scope of one cell (``none`` when the table does not have it)."""
        cell = (
            member(Role, role, "role"),
            member(RecordKind, kind, "kind"),
            member(Action, action, "action"),
        )
        return self._cells.get(cell, Scope.NONE)

    def replace(self, role: Role, kind: RecordKind, action: Action, scope: Scope) -> "TablePolicy":
        """A copy of the table with one cell changed (members or their values)."""
        cell = (
            member(Role, role, "role"),
            member(RecordKind, kind, "kind"),
            member(Action, action, "action"),
        )
        return TablePolicy({**self._cells, cell: member(Scope, scope, "scope")})

    def decide(self, actor: Actor, action: Action, record: Owned) -> Decision:
        """Look the actor's role, the record's kind and the action up in the table.

        Raises:
            ValidationError: ``actor`` is not an Actor, ``action`` not an Action
                (or its value), ``record`` not a record with an owner and team.
        """
        if not isinstance(actor, Actor):
            raise ValidationError(
                "actor", f"must be an Actor, not {type(actor).__name__}", allowed="an Actor"
            )
        chosen = member(Action, action, "action")
        if not isinstance(record, Owned):
            raise ValidationError(
                "record",
                f"must be a record with an owner and a team, not {type(record).__name__}",
                allowed="a record crmcore stores (a Customer, an Opportunity, ...)",
            )
        role, kind, verb = actor.role.value, _label(record.record_kind), chosen.value
        scope = self.scope(actor.role, record.record_kind, chosen)
        if scope is Scope.NONE:
            return Decision(False, f"{role} may not {verb} {kind} records")
        if scope is Scope.ALL:
            return Decision(True, f"{role} may {verb} every {kind} record")
        if scope is Scope.TERRITORY:
            if record.territory is None or record.territory not in actor.territories:
                return Decision(False, f"the {kind} is not in a territory the user manages")
            return Decision(True, f"{role} may {verb} {kind} records of their territories")
        if record.team is None:
            return Decision(
                False, f"the {kind} has no team; {role} may {verb} only {kind} records of a team"
            )
        if not actor.in_team(record.team):
            return Decision(False, f"the {kind} belongs to a team the user is not in")
        if scope is Scope.TEAM:
            return Decision(True, f"{role} may {verb} {kind} records of their teams")
        if scope is Scope.TEAM_OTHERS:
            if record.owner is None or record.owner == actor.user_id:
                return Decision(
                    False,
                    f"the {kind} is the user's own or nobody's; {role} may {verb} only "
                    f"{kind} records of others in their teams",
                )
            return Decision(True, f"{role} may {verb} {kind} records of others in their teams")
        if record.owner != actor.user_id:
            return Decision(
                False,
                f"the {kind} is owned by another user; {role} may {verb} "
                f"only {kind} records they own",
            )
        return Decision(True, f"{role} may {verb} {kind} records they own")

    def read_filter(self, actor: Actor, kind: RecordKind) -> dict[str, object]:
        """Storage filters that select every record of ``kind`` the actor may
        read (and perhaps a few more, which `decide` then refuses): the
        table's scope pushed down to indexed fields.

        ``none``: nothing (an empty set); ``own``: ``owner`` is the actor and
        ``team`` one of theirs; ``team`` and ``team_others``: ``team`` one of
        theirs; ``territory``: ``territory`` one of theirs; ``all``: no filter.
        """
        if not isinstance(actor, Actor):
            raise ValidationError(
                "actor", f"must be an Actor, not {type(actor).__name__}", allowed="an Actor"
            )
        scope = self.scope(actor.role, kind, Action.READ)
        teams = sorted(actor.teams)
        if scope is Scope.NONE:
            return {"team": ()}
        if scope is Scope.OWN:
            return {"owner": actor.user_id, "team": teams}
        if scope in (Scope.TEAM, Scope.TEAM_OTHERS):
            return {"team": teams}
        if scope is Scope.TERRITORY:
            return {"territory": sorted(actor.territories)}
        return {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TablePolicy):
            return NotImplemented
        return self._cells == other._cells

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"TablePolicy(<{len(self._cells)} cells>)"


_R, _SM, _SA, _SVM, _MM, _PL, _AD = (
    Role.SALES_REP,
    Role.SALES_MANAGER,
    Role.SERVICE_AGENT,
    Role.SERVICE_MANAGER,
    Role.MARKETING_MANAGER,
    Role.PROMOTION_LEADER,
    Role.ADMIN,
)
_CU, _OP, _CO, _SC, _CM, _CA, _TE, _QU, _PN = (
    RecordKind.CUSTOMER,
    RecordKind.OPPORTUNITY,
    RecordKind.CONTRACT,
    RecordKind.SERVICE_CONTRACT,
    RecordKind.COMPLAINT,
    RecordKind.CAMPAIGN,
    RecordKind.TERRITORY,
    RecordKind.QUOTA,
    RecordKind.COMMISSION_PLAN,
)
_N, _O, _T, _X, _A = Scope.NONE, Scope.OWN, Scope.TEAM, Scope.TEAM_OTHERS, Scope.ALL

DEFAULT_ROWS: tuple[Row, ...] = (
    # role  kind   create read update close reassign approve
    (_R, _CU, _O, _O, _O, _O, _N, _N),
    (_R, _OP, _O, _O, _O, _O, _N, _N),
    (_R, _CO, _O, _O, _O, _O, _N, _N),
    (_R, _SC, _N, _N, _N, _N, _N, _N),
    (_R, _CM, _N, _N, _N, _N, _N, _N),
    (_R, _CA, _N, _T, _N, _N, _N, _N),
    (_R, _TE, _N, _T, _N, _N, _N, _N),
    (_R, _QU, _N, _O, _N, _N, _N, _N),
    (_R, _PN, _N, _T, _N, _N, _N, _N),
    (_SM, _CU, _T, _T, _T, _T, _T, _N),
    (_SM, _OP, _T, _T, _T, _T, _T, _T),
    (_SM, _CO, _T, _T, _T, _T, _T, _N),
    (_SM, _SC, _N, _N, _N, _N, _N, _N),
    (_SM, _CM, _N, _N, _N, _N, _N, _N),
    (_SM, _CA, _N, _T, _N, _N, _N, _N),
    (_SM, _TE, _T, _T, _T, _N, _T, _N),
    (_SM, _QU, _X, _X, _X, _N, _N, _N),
    (_SM, _PN, _T, _T, _N, _N, _N, _N),
    (_SA, _CU, _N, _T, _N, _N, _N, _N),
    (_SA, _OP, _N, _N, _N, _N, _N, _N),
    (_SA, _CO, _N, _N, _N, _N, _N, _N),
    (_SA, _SC, _O, _O, _O, _O, _N, _N),
    (_SA, _CM, _O, _O, _O, _O, _N, _N),
    (_SA, _CA, _N, _N, _N, _N, _N, _N),
    (_SA, _TE, _N, _N, _N, _N, _N, _N),
    (_SA, _QU, _N, _N, _N, _N, _N, _N),
    (_SA, _PN, _N, _N, _N, _N, _N, _N),
    (_SVM, _CU, _N, _T, _N, _N, _N, _N),
    (_SVM, _OP, _N, _N, _N, _N, _N, _N),
    (_SVM, _CO, _N, _N, _N, _N, _N, _N),
    (_SVM, _SC, _T, _T, _T, _T, _T, _N),
    (_SVM, _CM, _T, _T, _T, _T, _T, _N),
    (_SVM, _CA, _N, _N, _N, _N, _N, _N),
    (_SVM, _TE, _N, _N, _N, _N, _N, _N),
    (_SVM, _QU, _N, _N, _N, _N, _N, _N),
    (_SVM, _PN, _N, _N, _N, _N, _N, _N),
    (_MM, _CU, _N, _T, _N, _N, _N, _N),
    (_MM, _OP, _N, _T, _N, _N, _N, _N),
    (_MM, _CO, _N, _N, _N, _N, _N, _N),
    (_MM, _SC, _N, _N, _N, _N, _N, _N),
    (_MM, _CM, _N, _N, _N, _N, _N, _N),
    (_MM, _CA, _A, _A, _A, _A, _A, _N),
    (_MM, _TE, _N, _N, _N, _N, _N, _N),
    (_MM, _QU, _N, _N, _N, _N, _N, _N),
    (_MM, _PN, _N, _N, _N, _N, _N, _N),
    (_PL, _CU, _N, _T, _N, _N, _N, _N),
    (_PL, _OP, _N, _T, _N, _N, _N, _N),
    (_PL, _CO, _N, _N, _N, _N, _N, _N),
    (_PL, _SC, _N, _N, _N, _N, _N, _N),
    (_PL, _CM, _N, _N, _N, _N, _N, _N),
    (_PL, _CA, _O, _O, _O, _O, _N, _N),
    (_PL, _TE, _N, _N, _N, _N, _N, _N),
    (_PL, _QU, _N, _N, _N, _N, _N, _N),
    (_PL, _PN, _N, _N, _N, _N, _N, _N),
    (_AD, _CU, _A, _A, _A, _A, _A, _A),
    (_AD, _OP, _A, _A, _A, _A, _A, _A),
    (_AD, _CO, _A, _A, _A, _A, _A, _A),
    (_AD, _SC, _A, _A, _A, _A, _A, _A),
    (_AD, _CM, _A, _A, _A, _A, _A, _A),
    (_AD, _CA, _A, _A, _A, _A, _A, _A),
    (_AD, _TE, _A, _A, _A, _A, _A, _A),
    (_AD, _QU, _A, _A, _A, _A, _A, _A),
    (_AD, _PN, _A, _A, _A, _A, _A, _A),
)
"""The default table, one row per role and kind of record (see `TablePolicy.from_rows`)."""

DEFAULT_POLICY = TablePolicy.from_rows(DEFAULT_ROWS)
"""Sales reps work the sales records they own; sales managers every sales record
of their teams, and approve; service agents and managers the same for service
contracts and complaints, and read their teams' customers; marketing managers
run every campaign (the only scope ``all`` besides the admin's) and read
their teams' customers and opportunities (for lists and returns); promotion
leaders run the campaigns they own and read the same; sales roles read their
teams' campaigns (to source opportunities from them) but change none; reps
read their teams' territories and commission plans and their own quotas;
sales managers create, rename and move their teams' territories, define
their teams' commission plans, and set and read the quotas of the others in
their teams (never their own: theirs is set by an admin or by their own
manager's table); admins everything."""
