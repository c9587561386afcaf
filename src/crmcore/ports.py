"""Ports: the Protocols the domain and services talk to; adapters implement them."""

from typing import Protocol, runtime_checkable

import pendulum


@runtime_checkable
class Clock(Protocol):
    """Where application code gets the current time (the domain never asks)."""

    def now(self) -> pendulum.DateTime:
        """The current instant, as a UTC `pendulum.DateTime`."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    """Where new record ids come from."""

    def new_id(self, prefix: str) -> str:
        """A new id, unique for this generator, that starts with ``prefix``."""
        ...
