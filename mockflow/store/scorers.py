"""Registered scorers (``scorers/*``): versions of a named scorer per experiment, and their
online scoring configurations. No HTTP here.

As MLflow's SQL store (``register_scorer`` … ``list_scorer_versions``,
``upsert_online_scoring_config``, ``get_online_scoring_configs``, 3.17.2): a name's first
registration makes the scorer (with a uuid id), each registration adds version max+1, deleting
without a version deletes the scorer, all its versions and its online configuration (the
``online_scoring_configs`` rows cascade with their scorer); deleting a version leaves the
scorer, and its configuration, in place. A scorer has at most one configuration: an upsert
replaces it with a new one (a new id), as the SQL store deletes and inserts.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlflow.entities.scorer import ScorerVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST

from mockflow.mlflow_mirror import scorers as mirror
from mockflow.store.bound import RootBound
from mockflow.store.errors import StateError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mlflow.genai.scorers.online.entities import OnlineScoringConfig


def _config(**fields: Any) -> OnlineScoringConfig:
    """MLflow's config entity, imported when first needed: ``mlflow.genai`` is heavy, and
    ``mockflow serve`` imports no more of mlflow than serving needs (``fastimport.py``)."""
    from mlflow.genai.scorers.online.entities import OnlineScoringConfig

    return OnlineScoringConfig(**fields)


@dataclass(eq=False)
class ScorerData:
    experiment_id: str
    name: str
    scorer_id: str
    versions: dict[int, tuple[str, int]] = field(default_factory=dict)  # -> (serialized, time)

    def entity(self, version: int) -> ScorerVersion:
        serialized, created = self.versions[version]
        return ScorerVersion(
            experiment_id=self.experiment_id,
            scorer_name=self.name,
            scorer_version=version,
            serialized_scorer=serialized,
            creation_time=created,
            scorer_id=self.scorer_id,
        )


class ScorerStore(RootBound):
    def __init__(self) -> None:
        self.scorers: dict[tuple[str, str], ScorerData] = {}  # (experiment id, name) -> scorer
        # scorer id -> its configuration, in the order they were written (the SQL store's
        # insertion order, which is the order it reads them back in)
        self.online_configs: dict[str, OnlineScoringConfig] = {}

    def _experiment_id(self, experiment_id: str) -> str:
        return str(self.root.tracking.active_experiment(experiment_id).experiment_id)

    def _scorer(self, experiment_id: str, name: str) -> ScorerData:
        scorer = self.scorers.get((self._experiment_id(experiment_id), name))
        if scorer is None or not scorer.versions:
            raise MlflowException(
                f"Scorer with name '{name}' not found for experiment {experiment_id}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return scorer

    def register_scorer(self, experiment_id: str, name: str, serialized: str) -> ScorerVersion:
        mirror.validate_scorer(name, serialized)
        key = (self._experiment_id(experiment_id), name)
        scorer = self.scorers.get(key)
        if scorer is None:
            scorer = self.scorers[key] = ScorerData(key[0], name, str(uuid.uuid4()))
        version = max(scorer.versions, default=0) + 1
        scorer.versions[version] = (serialized, int(time.time() * 1000))
        return scorer.entity(version)

    def list_scorers(self, experiment_ids: list[str] | None) -> list[ScorerVersion]:
        """The latest version of each scorer, by experiment and name; ``None``: every active
        experiment's."""
        if experiment_ids is None:
            wanted = {
                e
                for e, r in self.root.tracking.experiments.items()
                if r.lifecycle_stage == "active"
            }
        else:
            wanted = {str(e) for e in experiment_ids}
        found = [s for (e, _), s in self.scorers.items() if e in wanted and s.versions]
        found.sort(key=lambda s: (int(s.experiment_id), s.name))
        return [s.entity(max(s.versions)) for s in found]

    def list_scorers_in(self, experiment_id: str) -> list[ScorerVersion]:
        return self.list_scorers([self._experiment_id(experiment_id)])

    def list_scorer_versions(self, experiment_id: str, name: str) -> list[ScorerVersion]:
        scorer = self._scorer(experiment_id, name)
        return [scorer.entity(v) for v in sorted(scorer.versions)]

    def get_scorer(self, experiment_id: str, name: str, version: int | None) -> ScorerVersion:
        scorer = self._scorer(experiment_id, name)
        if version is None:
            return scorer.entity(max(scorer.versions))
        if version not in scorer.versions:
            raise MlflowException(
                f"Scorer with name '{name}' and version {version} not found for "
                f"experiment {experiment_id}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return scorer.entity(version)

    def delete_scorer(self, experiment_id: str, name: str, version: int | None) -> None:
        scorer = self._scorer(experiment_id, name)
        if version is None:
            del self.scorers[(scorer.experiment_id, name)]
            self.online_configs.pop(scorer.scorer_id, None)
            return
        if version not in scorer.versions:
            raise MlflowException(
                f"Scorer with name '{name}' and version {version} not found for"
                f" experiment {experiment_id}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        del scorer.versions[version]

    def upsert_online_scoring_config(
        self, experiment_id: str, name: str, sample_rate: float, filter_string: str | None
    ) -> OnlineScoringConfig:
        mirror.check_online_config(sample_rate, filter_string)
        exp_id = self._experiment_id(experiment_id)
        # The scorer record, even with no version left (deleting versions one by one keeps it).
        scorer = self.scorers.get((exp_id, name))
        if scorer is None:
            raise MlflowException(
                f"Scorer with name '{name}' not found for experiment {experiment_id}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        if scorer.versions and sample_rate > 0:
            mirror.check_online_scorer(name, scorer.versions[max(scorer.versions)][0])
        config = _config(
            online_scoring_config_id=uuid.uuid4().hex,
            scorer_id=scorer.scorer_id,
            sample_rate=sample_rate,
            experiment_id=exp_id,
            filter_string=filter_string,
        )
        self.online_configs.pop(scorer.scorer_id, None)
        self.online_configs[scorer.scorer_id] = config
        return config

    def get_online_scoring_configs(self, scorer_ids: Iterable[str]) -> list[OnlineScoringConfig]:
        """The configurations of these scorers (those that have one), in the order written."""
        wanted = set(scorer_ids)
        return [c for scorer_id, c in self.online_configs.items() if scorer_id in wanted]

    # --- state ---------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "scorers": [
                {
                    "experiment_id": s.experiment_id,
                    "name": s.name,
                    "scorer_id": s.scorer_id,
                    "versions": [[v, ser, t] for v, (ser, t) in sorted(s.versions.items())],
                }
                for s in self.scorers.values()
            ],
            "online_configs": [c.to_dict() for c in self.online_configs.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ScorerStore:
        store = cls()
        for doc in state.get("scorers", []):
            scorer = ScorerData(doc["experiment_id"], doc["name"], doc["scorer_id"])
            scorer.versions = {int(v): (ser, int(t)) for v, ser, t in doc["versions"]}
            store.scorers[(scorer.experiment_id, scorer.name)] = scorer
        known = {s.scorer_id for s in store.scorers.values()}
        for doc in state.get("online_configs", []):
            config = _config(
                online_scoring_config_id=str(doc["online_scoring_config_id"]),
                scorer_id=str(doc["scorer_id"]),
                sample_rate=float(doc["sample_rate"]),
                experiment_id=str(doc["experiment_id"]),
                filter_string=doc.get("filter_string"),
            )
            if config.scorer_id not in known:
                raise StateError(
                    f"online scoring config {config.online_scoring_config_id!r} names scorer "
                    f"{config.scorer_id!r}, which is not in the state",
                    field="online_configs",
                )
            store.online_configs[config.scorer_id] = config
        return store

    def counts(self) -> dict[str, Any]:
        return {"scorers": len(self.scorers)}
