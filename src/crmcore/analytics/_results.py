"""The shared base of analytics results that read as mappings."""

import abc
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
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

    # The views of the underlying mapping: much faster than the generic ones,
    # which look every key up again.

    def keys(self) -> KeysView[K]:
        return self._mapped().keys()

    def items(self) -> ItemsView[K, V]:
        return self._mapped().items()

    def values(self) -> ValuesView[V]:
        return self._mapped().values()

    def __contains__(self, key: object) -> bool:
        return key in self._mapped()


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
