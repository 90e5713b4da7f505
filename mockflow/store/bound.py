"""For area stores that read other areas (traces read experiments, runs and uploaded artifacts;
datasets and scorers check experiments): ``Store`` binds each such area to itself after
installing all of them (``Store._install``), so a reset or an import rebinds the new ones."""

from __future__ import annotations

from typing import Any


class RootBound:
    # The root ``mockflow.store.Store`` (typed Any: the store package imports its areas, so an
    # area must not import it back).
    _root: Any = None

    def bind(self, root: Any) -> None:
        self._root = root

    @property
    def root(self) -> Any:
        assert self._root is not None, f"{type(self).__name__} used before Store binds it"
        return self._root
