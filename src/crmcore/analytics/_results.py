"""The shared base of analytics results that read as mappings."""

import abc
from collections.abc import ItemsView, Iterator, KeysView, Mapping, Sequence, ValuesView
from typing import Any, TypeVar

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


class Columns(Mapping[K, V]):
    """A read-only mapping held as two columns, keys and values, in order.

    Iterating, counting and ``items()`` read the columns; the hash index that
    ``m[key]`` and ``key in m`` need is built on the first lookup. For results
    of millions of entries that are mostly iterated or written out (what an
    engine returns), this saves building a dict that nobody reads.
    """

    __slots__ = ("_index", "_keys", "_values")

    def __init__(self, keys: Sequence[K], values: Sequence[V]) -> None:
        self._keys = keys
        self._values = values
        self._index: dict[K, V] | None = None

    def _lookup(self) -> dict[K, V]:
        if self._index is None:
            self._index = dict(zip(self._keys, self._values, strict=True))
        return self._index

    def __getitem__(self, key: K) -> V:
        return self._lookup()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._lookup()

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def items(self) -> ItemsView[K, V]:
        return _ColumnItems(self)

    def values(self) -> ValuesView[V]:
        return _ColumnValues(self)


class _ColumnItems(ItemsView[K, V]):
    _mapping: Columns[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return zip(self._mapping._keys, self._mapping._values, strict=True)


class _ColumnValues(ValuesView[V]):
    _mapping: Columns[Any, V]

    def __iter__(self) -> Iterator[V]:
        return iter(self._mapping._values)


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
