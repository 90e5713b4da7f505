"""For area stores that read other areas (traces read experiments, runs and uploaded artifacts;
datasets and scorers check experiments): ``Store`` binds each such area to itself after
installing all of them (``Store._install``), so a reset or an import rebinds the new ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockflow.store import Store


class RootBound:
    _root: Store | None = None

    def bind(self, root: Store) -> None:
        self._root = root

    @property
    def root(self) -> Store:
        assert self._root is not None, f"{type(self).__name__} used before Store binds it"
        return self._root
