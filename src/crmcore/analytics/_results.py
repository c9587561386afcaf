"""The shared base of analytics results that read as mappings."""

import abc
from collections.abc import Iterator, Mapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class MappingResult(Mapping[K, V]):
    """A read-only mapping over what `_mapped` returns; subclasses add the
    attributes that explain the result."""

    __slots__ = ()

    @abc.abstractmethod
    def _mapped(self) -> Mapping[K, V]:
        """The mapping this result presents."""

    def __getitem__(self, key: K) -> V:
        return self._mapped()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._mapped())

    def __len__(self) -> int:
        return len(self._mapped())
