"""The world generator: an ML organisation's experiments and runs, as plain data.

It produces ``mockflow.store.data`` objects (``ExperimentData``, ``RunData`` with one
``MetricData`` per metric) and never touches a store: ``Store.load`` builds the records, their
arrays and their latest values from them (the API path would validate each of a million points
one by one). Histories come out in (timestamp, step) order, which the loader checks.

Determinism: one ``random.Random(seed)`` and one seeded Faker drive everything, run ids come
from the RNG, and every time is an offset from ``reference_time``. Nothing reads the clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker
from mlflow.entities import Dataset, DatasetInput, InputTag, LifecycleStage
from mlflow.utils.mlflow_tags import (
    MLFLOW_DATASET_CONTEXT,
    MLFLOW_GIT_BRANCH,
    MLFLOW_GIT_COMMIT,
    MLFLOW_GIT_REPO_URL,
    MLFLOW_PARENT_RUN_ID,
    MLFLOW_RUN_NAME,
    MLFLOW_RUN_NOTE,
    MLFLOW_SOURCE_NAME,
    MLFLOW_SOURCE_TYPE,
    MLFLOW_USER,
)

from mockflow.mlflow_mirror.names import GENERATOR_NOUNS, GENERATOR_PREDICATES
from mockflow.seed import catalog
from mockflow.seed.catalog import CLASSIFICATION, ITERATIVE, Project
from mockflow.seed.curves import Noise, Targets, curves, targets_for
from mockflow.seed.spec import WorldSpec
from mockflow.store.data import ExperimentData, MetricData, RunData, WorldData
from mockflow.store.tracking import DEFAULT_EXPERIMENT_ID

Progress = Callable[[str, int, int], None]

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

FINISHED, FAILED, KILLED, RUNNING = "FINISHED", "FAILED", "KILLED", "RUNNING"


@dataclass(eq=False)
class RunPlan:
    experiment: ExperimentPlan
    family: str
    status: str
    fraction: float  # share of the planned length actually logged
    weight: float  # share of the metric-point budget
    parent: RunPlan | None = None
    children: list[RunPlan] = field(default_factory=list)
    deleted: bool = False
    budget: int = 0
    steps: int = 0  # points per metric
    extra: int = 0  # more train_loss points than that
    run: RunData | None = None
    score: float = float("-inf")

    @property
    def keys(self) -> tuple[str, ...]:
        if self.children:
            return ("best_" + _primary(self.experiment.project), "best_val_loss")
        if self.experiment.project.task == CLASSIFICATION:
            return catalog.CLASSIFICATION_METRICS
        return catalog.REGRESSION_METRICS

    @property
    def iterative(self) -> bool:
        return self.family in ITERATIVE and not self.children

    @property
    def minimum(self) -> int:
        if self.status == FAILED and not self.iterative and not self.children:
            return 0  # failed before evaluation: nothing logged
        return len(self.keys)


@dataclass(eq=False)
class ExperimentPlan:
    experiment_id: str
    name: str
    project: Project
    created: int
    members: list[str]
    commits: list[str]
    repo: str
    runs: list[RunPlan] = field(default_factory=list)


@dataclass
class World:
    """What was generated: the plans (for the registry step) and the data (for the store)."""

    experiments: list[ExperimentPlan]
    runs: list[RunPlan]
    users: list[str]
    reference_time: int
    data: WorldData

    def best_runs(self) -> list[RunPlan]:
        """Per experiment, finished live runs with metrics, best first."""
        out: list[RunPlan] = []
        for exp in self.experiments:
            ranked = sorted(
                (
                    r
                    for r in exp.runs
                    if r.status == FINISHED and not r.deleted and not r.children and r.budget
                ),
                key=lambda r: (-r.score, r.run.run_id if r.run else ""),
            )
            out.extend(ranked)
        return out


def _primary(project: Project) -> str:
    return "f1" if project.task == CLASSIFICATION else "r2"


class Generator:
    def __init__(
        self, spec: WorldSpec, *, seed: int, reference_time: int, progress: Progress | None
    ) -> None:
        self.spec = spec
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.ref = reference_time
        self.noise = Noise(self.rng)
        self.progress = progress or (lambda stage, done, total: None)

    # --- identities ----------------------------------------------------------------------------

    def run_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def hexdigest(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def run_name(self) -> str:
        """As ``mockflow.mlflow_mirror.names.generate_random_name`` makes them, from our RNG."""
        name = ""
        for _ in range(10):
            name = (
                f"{self.rng.choice(GENERATOR_PREDICATES).lower()}-"
                f"{self.rng.choice(GENERATOR_NOUNS).lower()}-{self.rng.randint(0, 1000)}"
            )
            if len(name) <= 20:
                return name
        return name[:20]

    def users(self) -> list[str]:
        names: list[str] = []
        while len(names) < max(self.spec.users, 1):
            first, last = self.fake.first_name().lower(), self.fake.last_name().lower()
            name = f"{first}.{last}".replace("'", "").replace(" ", "")
            if name not in names:
                names.append(name)
        return names

    # --- experiments ---------------------------------------------------------------------------

    def experiments(self, users: list[str]) -> list[ExperimentPlan]:
        n = self.spec.experiments
        ages = sorted((self.rng.uniform(30, 400) for _ in range(n)), reverse=True)
        plans: list[ExperimentPlan] = []
        names: set[str] = set()
        for i in range(n):
            project = catalog.PROJECTS[i % len(catalog.PROJECTS)]
            name = project.name
            while name in names:
                suffix = self.rng.choice(catalog.EXTRA_SUFFIXES)
                name = f"{project.name}-{suffix}-{self.rng.randint(2, 99)}"
            names.add(name)
            members = self.rng.sample(users, k=min(len(users), self.rng.randint(2, 4)))
            created = self.ref - int(ages[i] * DAY)
            plans.append(
                ExperimentPlan(
                    experiment_id=str(i + 1),
                    name=name,
                    project=project,
                    created=created,
                    members=members,
                    commits=[self.hexdigest(40) for _ in range(self.rng.randint(4, 16))],
                    repo=f"https://github.com/hokusai-ml/{project.dataset}-models",
                )
            )
        return plans

    def default_experiment(self, users: list[str]) -> ExperimentPlan:
        """``Default`` (id 0) gets a few quick, unnamed runs, as real servers do."""
        project = self.rng.choice(catalog.PROJECTS[1:])
        return ExperimentPlan(
            experiment_id=DEFAULT_EXPERIMENT_ID,
            name="Default",
            project=project,
            created=self.ref - 420 * DAY,
            members=users[:2],
            commits=[self.hexdigest(40) for _ in range(3)],
            repo="https://github.com/hokusai-ml/scratch",
        )

    # --- run plans -----------------------------------------------------------------------------

    def plan_runs(self, experiments: list[ExperimentPlan], default: ExperimentPlan) -> None:
        total = self.spec.runs
        default_share = max(1, round(total * 0.03)) if total >= 10 else 0
        weights = [self.rng.uniform(0.6, 1.4) for _ in experiments]
        counts = _apportion(total - default_share, weights)
        for exp, count in zip(experiments, counts, strict=True):
            self._plan_experiment(exp, count)
        self._plan_experiment(default, default_share, sweeps=False)

    def _plan_experiment(self, exp: ExperimentPlan, count: int, *, sweeps: bool = True) -> None:
        families = exp.project.families
        statuses = _status_quota(self.rng, count)
        i = 0
        n_sweeps = count // 25 if sweeps else 0
        if sweeps and n_sweeps == 0 and count >= 10:
            n_sweeps = 1
        for _ in range(n_sweeps):
            size = min(self.rng.randint(5, 12), count - i - 1)
            if size < 2:
                break
            family = self.rng.choice(families)
            parent = RunPlan(exp, family, FINISHED, 1.0, 0.0)
            exp.runs.append(parent)
            i += 1
            for _ in range(size):
                child = RunPlan(exp, family, FINISHED, 1.0, self.rng.uniform(0.5, 1.0), parent)
                parent.children.append(child)
                exp.runs.append(child)
                i += 1
        for status in statuses[i:]:
            family = self.rng.choice(families)
            fraction = {
                FINISHED: 1.0,
                FAILED: self.rng.uniform(0.1, 0.6),
                KILLED: self.rng.uniform(0.2, 0.8),
                RUNNING: self.rng.uniform(0.2, 0.9),
            }[status]
            weight = self.rng.uniform(0.5, 1.5) * fraction
            plan = RunPlan(exp, family, status, fraction, weight)
            plan.deleted = status in (FINISHED, FAILED) and self.rng.random() < 0.02
            exp.runs.append(plan)

    def allocate_points(self, runs: list[RunPlan]) -> None:
        """Give each run its number of metric points so the world total is exact.

        Iterative runs get whole steps (one point per metric each); the last few points that
        do not make a whole step go to one run's ``train_loss``, the one metric a trainer
        logs more often than the rest.
        """
        for r in runs:
            r.budget = r.minimum
            r.steps = 1 if r.budget else 0
        flexible = [r for r in runs if r.iterative]
        spare = self.spec.metric_points - sum(r.budget for r in runs)
        if spare <= 0 or not flexible:
            return
        left = spare
        for r, share in zip(flexible, _apportion(spare, [r.weight for r in flexible]), strict=True):
            k = len(r.keys)
            r.steps += share // k
            left -= (share // k) * k
        for r in flexible:
            k = len(r.keys)
            if left < k:
                break
            r.steps += 1
            left -= k
        flexible[0].extra = left
        for r in flexible:
            r.budget = r.steps * len(r.keys) + r.extra

    # --- materialising -------------------------------------------------------------------------

    def build(self) -> World:
        users = self.users() if self.spec.users else []
        experiments = self.experiments(users) if users else []
        default = self.default_experiment(users or ["mlflow"])
        self.plan_runs(experiments, default)
        everything = [default, *experiments]
        runs = [r for exp in everything for r in exp.runs]
        self.allocate_points(runs)

        data = WorldData(default_experiment_time=default.created)
        for exp in experiments:
            data.experiments.append(
                ExperimentData(
                    exp.name,
                    exp.created,
                    experiment_id=exp.experiment_id,
                    tags={
                        "mlflow.note.content": exp.project.description,
                        "team": exp.project.team,
                        "owner": f"{exp.members[0]}@hokusai.example",
                        "task": exp.project.task,
                    },
                )
            )

        done, total, next_report = 0, len(runs), 500
        self.progress("runs", 0, total)
        for exp in everything:
            datasets = self._datasets(exp)
            for plan in exp.runs:
                if plan.parent is not None:
                    continue  # built with its parent, so the sweep's times line up
                if plan.children:
                    self._sweep(plan, datasets)
                    done += 1 + len(plan.children)
                else:
                    self._standalone(plan, datasets)
                    done += 1
                if done >= next_report:
                    self.progress("runs", done, total)
                    next_report = done + 500
        for r in runs:
            assert r.run is not None
            data.runs.append(r.run)
        self.progress("runs", total, total)
        return World(everything, runs, users, self.ref, data)

    def _datasets(self, exp: ExperimentPlan) -> list[tuple[int, list[DatasetInput]]]:
        """Versions of the experiment's dataset, each a (created, [train, eval]) pair."""
        project = exp.project
        span = self.ref - exp.created
        versions = []
        for v in range(1, self.rng.randint(2, 4) + 1):
            created = exp.created + int(span * (v - 1) / 4)
            rows = self.rng.randint(20, 2000) * 1000
            inputs = []
            for split, context, share in (("train", "training", 0.8), ("eval", "validation", 0.2)):
                n_rows = int(rows * share)
                schema = {
                    "mlflow_colspec": [
                        {"type": t, "name": c, "required": True} for c, t in project.columns
                    ]
                }
                ds = Dataset(
                    name=f"{project.dataset}-{split}",
                    digest=self.hexdigest(8),
                    source_type="s3",
                    source=_json(
                        {"uri": f"s3://hokusai-datasets/{project.dataset}/v{v}/{split}.parquet"}
                    ),
                    schema=_json(schema),
                    profile=_json(
                        {"num_rows": n_rows, "num_elements": n_rows * len(project.columns)}
                    ),
                )
                inputs.append(DatasetInput(ds, [InputTag(MLFLOW_DATASET_CONTEXT, context)]))
            versions.append((created, inputs))
        return versions

    def _standalone(self, plan: RunPlan, datasets: list[tuple[int, list[DatasetInput]]]) -> None:
        duration, timing = self._timing(plan)
        window_start = plan.experiment.created + HOUR
        if plan.status == RUNNING:
            start = self.ref - duration - self.rng.randint(1, 30) * MINUTE
        else:
            latest = self.ref - duration - 10 * MINUTE
            start = self.rng.randint(min(window_start, latest), max(window_start, latest))
        self._materialise(plan, start, timing, datasets)

    def _sweep(self, parent: RunPlan, datasets: list[tuple[int, list[DatasetInput]]]) -> None:
        timings = [self._timing(c) for c in parent.children]
        gaps = [self.rng.randint(2_000, 60_000) for _ in timings]
        total = sum(d for d, _ in timings) + sum(gaps)
        window_start = parent.experiment.created + HOUR
        latest = self.ref - total - HOUR
        start = self.rng.randint(min(window_start, latest), max(window_start, latest))
        t = start + self.rng.randint(1_000, 5_000)
        for child, (duration, timing), gap in zip(parent.children, timings, gaps, strict=True):
            self._materialise(child, t, timing, datasets)
            t += duration + gap
        end = t + self.rng.randint(1_000, 5_000)
        self._materialise_parent(parent, start, end)

    def _timing(self, plan: RunPlan) -> tuple[int, tuple[int, int, int, int, int]]:
        """(duration, (setup ms, ms per logged step, steps, train_extra, planned steps))."""
        steps, extra = plan.steps, plan.extra
        planned = max(steps + extra, math.ceil(steps / plan.fraction)) if steps else 0
        setup = self.rng.randint(2_000, 45_000)
        if plan.family == "pytorch" and plan.iterative:
            step_ms = self.rng.randint(15_000, 240_000)
        elif plan.iterative:
            step_ms = self.rng.randint(40, 600)
        else:
            step_ms = self.rng.randint(3_000, 600_000)
        # Keep very long histories (few runs, many points) inside the experiment's lifetime.
        window = max(self.ref - plan.experiment.created - 2 * HOUR, HOUR)
        n = steps + extra
        if n and setup + n * step_ms > window // 2:
            step_ms = max(1, (window // 2 - setup) // n)
        duration = setup + n * step_ms + self.rng.randint(500, 5_000)
        return duration, (setup, step_ms, steps, extra, planned)

    def _materialise(
        self,
        plan: RunPlan,
        start: int,
        timing: tuple[int, int, int, int, int],
        datasets: list[tuple[int, list[DatasetInput]]],
    ) -> None:
        setup, step_ms, steps, extra, planned = timing
        exp = plan.experiment
        project = exp.project
        rng = self.rng
        run_id = self.run_id()
        name = self.run_name()
        user = rng.choice(exp.members)
        version = max((i for i, (created, _) in enumerate(datasets) if created <= start), default=0)
        log_every = rng.choice((1, 5, 10)) if plan.family in ("xgboost", "lightgbm") else 1

        score = (
            project.ceiling
            - catalog.FAMILY_GAP[plan.family]
            - abs(rng.gauss(0, 0.02))
            - (0.05 if exp.experiment_id == DEFAULT_EXPERIMENT_ID else 0.0)
        )
        targets = targets_for(rng, project.task, score)
        params = _params(rng, plan.family, project.task, max(planned, 1), log_every)
        tags = self._system_tags(exp, user, name, start)
        tags["model_type"] = catalog.MODEL_TYPES[plan.family]
        tags["dataset_version"] = f"v{version + 1}"
        if plan.parent is not None and plan.parent.run is None:
            plan.parent.run = self._parent_run(plan.parent)
        if plan.parent is not None:
            assert plan.parent.run is not None
            tags[MLFLOW_PARENT_RUN_ID] = plan.parent.run.run_id
        if rng.random() < 0.08:
            tags[MLFLOW_RUN_NOTE] = self.fake.sentence(nb_words=10)

        metrics, last_ts = _histories(
            rng,
            self.noise,
            project.task,
            targets,
            steps,
            extra,
            planned,
            start + setup,
            step_ms,
            log_every,
        )
        if plan.status == RUNNING:
            end = None
        else:
            end = (last_ts or start + setup) + rng.randint(500, 5_000)
        plan.run = RunData(
            run_id=run_id,
            experiment_id=exp.experiment_id,
            run_name=name,
            user_id=user,
            status=plan.status,
            start_time=start,
            end_time=end,
            lifecycle_stage=LifecycleStage.DELETED if plan.deleted else LifecycleStage.ACTIVE,
            artifact_uri=_artifact_uri(exp.experiment_id, run_id),
            deleted_time=(
                min(self.ref, (end or start) + rng.randint(1, 240) * HOUR) if plan.deleted else None
            ),
            params=params,
            tags=tags,
            metrics=metrics,
            dataset_inputs=list(datasets[version][1]) if datasets else [],
        )
        if metrics:
            primary = metrics.get(_primary(project))
            plan.score = primary.values[-1] if primary else score

    def _parent_run(self, plan: RunPlan) -> RunData:
        """The parent's identity, made when its first child needs its id; filled in later."""
        exp = plan.experiment
        run_id = self.run_id()
        name = (
            f"{catalog.MODEL_TYPES[plan.family].replace('_', '-')}-sweep-{self.rng.randint(1, 99)}"
        )
        return RunData(
            run_id=run_id,
            experiment_id=exp.experiment_id,
            run_name=name,
            user_id="",
            status=FINISHED,
            start_time=None,
            artifact_uri=_artifact_uri(exp.experiment_id, run_id),
        )

    def _materialise_parent(self, plan: RunPlan, start: int, end: int) -> None:
        exp = plan.experiment
        record = plan.run or self._parent_run(plan)
        plan.run = record
        user = self.rng.choice(exp.members)
        record.user_id = user
        record.start_time, record.end_time = start, end
        record.tags = self._system_tags(exp, user, record.run_name, start)
        record.tags["model_type"] = catalog.MODEL_TYPES[plan.family]
        primary = _primary(exp.project)
        record.params = {
            "model_type": catalog.MODEL_TYPES[plan.family],
            "search_algorithm": self.rng.choice(catalog.SWEEP_ALGORITHMS),
            "n_trials": str(len(plan.children)),
            "optimize_metric": f"val_{primary}",
        }
        finished = [c.run for c in plan.children if c.run is not None and c.run.metrics]
        if plan.budget and finished:
            best = max(run.metrics[primary].values[-1] for run in finished)
            best_loss = min(run.metrics["val_loss"].values[-1] for run in finished)
            for key, value in ((f"best_{primary}", best), ("best_val_loss", best_loss)):
                record.metrics[key] = MetricData((end - 500,), (0,), (value,))
            plan.score = best

    def _system_tags(self, exp: ExperimentPlan, user: str, name: str, start: int) -> dict[str, str]:
        """The tags the real client's context providers write (default, git, notebook)."""
        rng = self.rng
        tags = {MLFLOW_USER: user}
        kind = rng.random()
        if kind < 0.7:
            source = rng.choice(catalog.SOURCE_FILES)
            tags[MLFLOW_SOURCE_NAME] = source
            tags[MLFLOW_SOURCE_TYPE] = "LOCAL"
            span = max(self.ref - exp.created, 1)
            position = min(
                int((start - exp.created) / span * len(exp.commits)), len(exp.commits) - 1
            )
            tags[MLFLOW_GIT_COMMIT] = exp.commits[max(position, 0)]
            tags[MLFLOW_GIT_BRANCH] = rng.choice(
                ("main", "main", "main", f"{user.split('.')[0]}/experiment")
            )
            tags[MLFLOW_GIT_REPO_URL] = exp.repo
        elif kind < 0.9:
            tags[MLFLOW_SOURCE_NAME] = catalog.NOTEBOOK_LAUNCHER
            tags[MLFLOW_SOURCE_TYPE] = "LOCAL"
        else:
            tags[MLFLOW_SOURCE_NAME] = exp.repo
            tags[MLFLOW_SOURCE_TYPE] = "PROJECT"
            tags[MLFLOW_GIT_COMMIT] = rng.choice(exp.commits)
            tags["mlflow.project.entryPoint"] = "main"
            tags["mlflow.project.env"] = "virtualenv"
        tags[MLFLOW_RUN_NAME] = name
        return tags


def _histories(
    rng: random.Random,
    noise: Noise,
    task: str,
    targets: Targets,
    steps: int,
    extra: int,
    planned: int,
    first_ts: int,
    step_ms: int,
    log_every: int,
) -> tuple[dict[str, MetricData], int | None]:
    if steps == 0:
        return {}, None
    values = curves(rng, noise, task, targets, steps, planned, extra)
    n = steps + extra
    # A little jitter per step, from a cheap deterministic sequence rather than the RNG.
    jitter = max(step_ms // 10, 1)
    ts = tuple(first_ts + (i + 1) * step_ms + (i * 7919) % jitter for i in range(n))
    step_values = tuple(i * log_every for i in range(n))
    metrics: dict[str, MetricData] = {}
    for key, series in values.items():
        # Tuples: immutable, so the metrics of a run may share them; the store copies them into
        # arrays of each metric's own.
        m = len(series)
        metrics[key] = MetricData(ts[:m], step_values[:m], series)
    return metrics, ts[-1]


def _params(
    rng: random.Random, family: str, task: str, planned: int, log_every: int
) -> dict[str, str]:
    c = rng.choice
    binary = task == CLASSIFICATION
    if family == "xgboost":
        p = {
            "max_depth": rng.randint(3, 10),
            "eta": c((0.01, 0.03, 0.05, 0.1, 0.2, 0.3)),
            "n_estimators": planned * log_every,
            "subsample": round(rng.uniform(0.6, 1.0), 2),
            "colsample_bytree": round(rng.uniform(0.5, 1.0), 2),
            "objective": "binary:logistic" if binary else "reg:squarederror",
            "tree_method": "hist",
        }
    elif family == "lightgbm":
        p = {
            "num_leaves": c((15, 31, 63, 127, 255)),
            "learning_rate": c((0.01, 0.02, 0.05, 0.1)),
            "n_estimators": planned * log_every,
            "feature_fraction": round(rng.uniform(0.5, 1.0), 2),
            "bagging_fraction": round(rng.uniform(0.5, 1.0), 2),
            "min_data_in_leaf": c((10, 20, 50, 100)),
            "objective": "binary" if binary else "regression",
        }
    elif family == "pytorch":
        p = {
            "lr": c((0.0001, 0.0003, 0.001, 0.003)),
            "batch_size": c((32, 64, 128, 256)),
            "epochs": planned,
            "optimizer": c(("adam", "adamw", "sgd")),
            "hidden_size": c((64, 128, 256, 512)),
            "dropout": c((0.0, 0.1, 0.2, 0.3)),
            "weight_decay": c((0.0, 1e-05, 0.0001)),
        }
    elif family == "random_forest":
        p = {
            "n_estimators": c((100, 200, 300, 500)),
            "max_depth": c(("None", 8, 12, 16, 24)),
            "min_samples_split": c((2, 5, 10)),
            "max_features": c(("sqrt", "log2", 0.5)),
            "criterion": "gini" if binary else "squared_error",
        }
    else:
        p = {
            "C": c((0.01, 0.1, 1.0, 10.0)),
            "penalty": c(("l2", "l1", "elasticnet")),
            "solver": "saga",
            "max_iter": c((100, 200, 500, 1000)),
        }
    p["model_type"] = catalog.MODEL_TYPES[family]
    return {k: str(v) for k, v in p.items()}


def _artifact_uri(experiment_id: str, run_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def _json(value: object) -> str:
    import json

    return json.dumps(value, separators=(", ", ": "))


def _status_quota(rng: random.Random, count: int) -> list[str]:
    """A shuffled mix: mostly FINISHED, a few FAILED, KILLED and RUNNING even in small worlds."""
    if count <= 0:
        return []
    failed = round(count * 0.06) if count >= 10 else 0
    killed = round(count * 0.04) if count >= 10 else 0
    running = round(count * 0.04) if count >= 10 else 0
    statuses = [FAILED] * failed + [KILLED] * killed + [RUNNING] * running
    statuses += [FINISHED] * (count - len(statuses))
    rng.shuffle(statuses)
    return statuses


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` that sum to exactly ``total``."""
    if not weights:
        return []
    w = sum(weights) or 1.0
    shares = [total * x / w for x in weights]
    out = [int(s) for s in shares]
    left = total - sum(out)
    order = sorted(range(len(weights)), key=lambda i: (out[i] - shares[i], i))
    for i in order[:left]:
        out[i] += 1
    return out


def generate(
    spec: WorldSpec,
    *,
    seed: int,
    reference_time: int,
    progress: Progress | None = None,
) -> World:
    """Plan and generate a world's experiments and runs (``World.data`` is what to load)."""
    return Generator(spec, seed=seed, reference_time=reference_time, progress=progress).build()
