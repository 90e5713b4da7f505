"""Fixture files: YAML that names exact experiments, runs and models, with an optional generated
world around them. The format is documented in docs/seeded-world.md; ``fixtures/*.yaml`` are
examples.

One way down: the whole file is checked (every error names the file, the entry and the field),
then turned into plain data (``WorldData``) on top of its generated world, each entry checked by
the same validators the store's loaders run; ``Store.load`` then makes the records. A state
document is not a fixture: it is refused here with a pointer to ``--state-file``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow.entities import Dataset, DatasetInput, InputTag, LifecycleStage
from mlflow.exceptions import MlflowException
from mlflow.utils.mlflow_tags import (
    MLFLOW_DATASET_CONTEXT,
    MLFLOW_PARENT_RUN_ID,
    MLFLOW_RUN_NAME,
    MLFLOW_RUN_NOTE,
    MLFLOW_USER,
)

from mockflow.seed.errors import FixtureError, SeedError
from mockflow.seed.registry import family_of, register_version
from mockflow.seed.spec import PRESETS, WorldSpec, parse_reference_time, resolve_spec
from mockflow.seed.world import generate_world
from mockflow.store.data import (
    ExperimentData,
    MetricData,
    RegisteredModelData,
    RunData,
    WorldData,
)
from mockflow.store.tracking import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME

if TYPE_CHECKING:
    from mockflow.seed.generator import Progress

FIXTURE_VERSION = 1
STATUSES = ("FINISHED", "FAILED", "KILLED", "RUNNING", "SCHEDULED")
STAGES = ("None", "Staging", "Production", "Archived")
MINUTE = 60_000
DAY = 24 * 60 * MINUTE


# --- the checked fixture -------------------------------------------------------------------------


@dataclass
class PointSpec:
    value: float
    step: int
    timestamp: int | None


@dataclass
class DatasetSpec:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str | None
    context: str | None


@dataclass
class RunSpec:
    where: str
    name: str
    run_id: str | None
    user: str
    status: str
    start_time: int | None
    end_time: int | None
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, list[PointSpec]]
    datasets: list[DatasetSpec]
    parent: str | None
    deleted: bool
    description: str | None


@dataclass
class ExperimentSpec:
    where: str
    name: str
    tags: dict[str, str]
    runs: list[RunSpec]
    deleted: bool


@dataclass
class VersionSpec:
    where: str
    run: str  # "experiment/run" or a run name unique in the fixture
    stage: str
    description: str | None
    tags: dict[str, str]
    aliases: list[str]


@dataclass
class ModelSpec:
    where: str
    name: str
    description: str | None
    tags: dict[str, str]
    versions: list[VersionSpec]


@dataclass
class Fixture:
    path: str
    seed: int
    reference_time: int
    generate: WorldSpec
    experiments: list[ExperimentSpec] = field(default_factory=list)
    models: list[ModelSpec] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------------


class _Checker:
    """Turns YAML values into typed specs; every complaint carries file, entry and field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, entry: str, field_name: str | None, message: str) -> FixtureError:
        where = f"{self.path}: {entry}" if entry else self.path
        if field_name:
            where += f": field '{field_name}'"
        return FixtureError(f"{where}: {message}")

    def mapping(self, value: Any, entry: str, field_name: str | None) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(entry, field_name, f"expected a mapping, got {_kind(value)}")
        return value

    def sequence(self, value: Any, entry: str, field_name: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(entry, field_name, f"expected a list, got {_kind(value)}")
        return value

    def known(self, data: dict[str, Any], allowed: tuple[str, ...], entry: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    entry, str(key), f"unknown field (expected one of: {', '.join(allowed)})"
                )

    def text(self, value: Any, entry: str, field_name: str, *, required: bool = False) -> str:
        if value is None or value == "":
            if required:
                raise self.fail(entry, field_name, "is required")
            return ""
        if isinstance(value, bool) or isinstance(value, dict | list):
            raise self.fail(entry, field_name, f"expected a string, got {_kind(value)}")
        return str(value)

    def strings(self, value: Any, entry: str, field_name: str) -> dict[str, str]:
        out = {}
        for k, v in self.mapping(value, entry, field_name).items():
            if isinstance(v, dict | list) or v is None:
                raise self.fail(entry, f"{field_name}.{k}", f"expected a scalar, got {_kind(v)}")
            out[str(k)] = _scalar_text(v)
        return out

    def number(self, value: Any, entry: str, field_name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str) and value.strip().lower() in ("nan", "inf", "-inf"):
                return float(value)
            raise self.fail(entry, field_name, f"expected a number, got {_kind(value)}")
        return float(value)

    def integer(self, value: Any, entry: str, field_name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(entry, field_name, f"expected an integer, got {_kind(value)}")
        return value

    def time(self, value: Any, entry: str, field_name: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.fail(entry, field_name, "expected a time, got a boolean")
        try:
            return parse_reference_time(value if isinstance(value, int) else str(value))
        except SeedError:
            raise self.fail(
                entry,
                field_name,
                f"invalid time {value!r}: use ISO 8601 (2026-01-15T09:00:00Z) or epoch ms",
            ) from None

    def boolean(self, value: Any, entry: str, field_name: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(entry, field_name, f"expected true or false, got {_kind(value)}")
        return value

    def choice(self, value: Any, entry: str, field_name: str, choices: tuple[str, ...]) -> str:
        text = self.text(value, entry, field_name)
        matched = [c for c in choices if c.lower() == text.lower()]
        if not matched:
            raise self.fail(entry, field_name, f"{text!r} is not one of {', '.join(choices)}")
        return matched[0]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def read_fixture(path: str | Path, *, seed: int, reference_time: int) -> Fixture:
    """The checked fixture at ``path``."""
    import yaml

    name = str(path)
    check = _Checker(name)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise FixtureError(f"{name}: cannot read fixture file: {e.strerror or e}") from e
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise FixtureError(f"{name}: not valid YAML{at}: {getattr(e, 'problem', e)}") from e
    top = check.mapping(data, "", None)
    if top.get("format") == "mockflow-state":
        raise FixtureError(
            f"{name}: this is a mockflow state document, not a fixture; load it with"
            " --state-file (or PUT /_mockflow/state)"
        )
    check.known(
        top,
        (
            "version",
            "description",
            "seed",
            "reference_time",
            "generate",
            "experiments",
            "registered_models",
        ),
        "top level",
    )
    version = top.get("version", FIXTURE_VERSION)
    if version != FIXTURE_VERSION:
        raise check.fail("top level", "version", f"unsupported version {version!r} (expected 1)")
    if "seed" in top:
        seed = check.integer(top["seed"], "top level", "seed")
    if "reference_time" in top:
        reference_time = check.time(top["reference_time"], "top level", "reference_time") or 0
    fixture = Fixture(name, seed, reference_time, _read_generate(check, top.get("generate")))
    run_names: dict[str, list[str]] = {}
    for i, raw in enumerate(check.sequence(top.get("experiments"), "top level", "experiments")):
        exp = _read_experiment(check, raw, i, reference_time)
        if any(e.name == exp.name for e in fixture.experiments):
            raise check.fail(exp.where, "name", f"experiment {exp.name!r} is named twice")
        fixture.experiments.append(exp)
        for run in exp.runs:
            run_names.setdefault(run.name, []).append(exp.name)
    for i, raw in enumerate(
        check.sequence(top.get("registered_models"), "top level", "registered_models")
    ):
        model = _read_model(check, raw, i)
        if any(m.name == model.name for m in fixture.models):
            raise check.fail(model.where, "name", f"registered model {model.name!r} is named twice")
        for version_spec in model.versions:
            _check_run_reference(check, version_spec, run_names)
        fixture.models.append(model)
    return fixture


def _read_generate(check: _Checker, raw: Any) -> WorldSpec:
    data = check.mapping(raw, "generate", None)
    check.known(data, ("world", "runs", "metric_points"), "generate")
    world = check.choice(data.get("world", "empty"), "generate", "world", tuple(PRESETS))
    counts = {}
    for name in ("runs", "metric_points"):
        if name in data:
            counts[name] = check.integer(data[name], "generate", name)
            if counts[name] < 0:
                raise check.fail("generate", name, "must be 0 or more")
    return resolve_spec(world, **counts)


def _read_experiment(check: _Checker, raw: Any, index: int, reference_time: int) -> ExperimentSpec:
    entry = f"experiments[{index}]"
    data = check.mapping(raw, entry, None)
    name = check.text(data.get("name"), entry, "name", required=True)
    entry = f"experiments[{index}] ({name!r})"
    check.known(data, ("name", "tags", "description", "runs", "deleted"), entry)
    tags = check.strings(data.get("tags"), entry, "tags")
    if data.get("description"):
        tags["mlflow.note.content"] = check.text(data["description"], entry, "description")
    exp = ExperimentSpec(
        entry, name, tags, [], check.boolean(data.get("deleted"), entry, "deleted")
    )
    raw_runs = check.sequence(data.get("runs"), entry, "runs")
    for i, raw_run in enumerate(raw_runs):
        default_start = reference_time - (len(raw_runs) - i) * 60 * MINUTE
        run = _read_run(check, raw_run, f"{entry} > runs[{i}]", default_start)
        if any(r.name == run.name for r in exp.runs):
            raise check.fail(run.where, "name", f"run {run.name!r} is named twice in {name!r}")
        exp.runs.append(run)
    for run in exp.runs:
        if run.parent is not None and not any(r.name == run.parent for r in exp.runs):
            raise check.fail(run.where, "parent", f"no run named {run.parent!r} in {name!r}")
        if run.parent == run.name:
            raise check.fail(run.where, "parent", "a run cannot be its own parent")
    return exp


_RUN_FIELDS = (
    "name",
    "id",
    "user",
    "status",
    "start_time",
    "end_time",
    "params",
    "tags",
    "metrics",
    "datasets",
    "parent",
    "deleted",
    "description",
)


def _read_run(check: _Checker, raw: Any, entry: str, default_start: int) -> RunSpec:
    data = check.mapping(raw, entry, None)
    name = check.text(data.get("name"), entry, "name", required=True)
    entry = f"{entry} ({name!r})"
    check.known(data, _RUN_FIELDS, entry)
    run_id = check.text(data.get("id"), entry, "id") or None
    if run_id is not None and not (
        len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)
    ):
        raise check.fail(entry, "id", "a run id is 32 lowercase hex characters")
    start = check.time(data.get("start_time"), entry, "start_time")
    metrics: dict[str, list[PointSpec]] = {}
    for key, value in check.mapping(data.get("metrics"), entry, "metrics").items():
        metrics[str(key)] = _read_points(check, value, entry, f"metrics.{key}")
    datasets = [
        _read_dataset(check, d, entry, f"datasets[{i}]")
        for i, d in enumerate(check.sequence(data.get("datasets"), entry, "datasets"))
    ]
    return RunSpec(
        where=entry,
        name=name,
        run_id=run_id,
        user=check.text(data.get("user"), entry, "user") or "mockflow",
        status=check.choice(data.get("status", "FINISHED"), entry, "status", STATUSES),
        start_time=start if start is not None else default_start,
        end_time=check.time(data.get("end_time"), entry, "end_time"),
        params=check.strings(data.get("params"), entry, "params"),
        tags=check.strings(data.get("tags"), entry, "tags"),
        metrics=metrics,
        datasets=datasets,
        parent=check.text(data.get("parent"), entry, "parent") or None,
        deleted=check.boolean(data.get("deleted"), entry, "deleted"),
        description=check.text(data.get("description"), entry, "description") or None,
    )


def _read_points(check: _Checker, value: Any, entry: str, field_name: str) -> list[PointSpec]:
    """A number (one point at step 0), a list of numbers (steps 0, 1, ...), or a list of
    ``{value, step, timestamp}`` mappings."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return [PointSpec(check.number(value, entry, field_name), 0, None)]
    if not isinstance(value, list) or not value:
        raise check.fail(
            entry,
            field_name,
            "expected a number, a list of numbers, or a list of {value, step, timestamp}",
        )
    points = []
    for i, item in enumerate(value):
        where = f"{field_name}[{i}]"
        if isinstance(item, dict):
            check.known(item, ("value", "step", "timestamp"), f"{entry}: {where}")
            if "value" not in item:
                raise check.fail(entry, f"{where}.value", "is required")
            points.append(
                PointSpec(
                    check.number(item["value"], entry, f"{where}.value"),
                    check.integer(item.get("step", i), entry, f"{where}.step"),
                    check.time(item.get("timestamp"), entry, f"{where}.timestamp"),
                )
            )
        else:
            points.append(PointSpec(check.number(item, entry, where), i, None))
    return points


def _read_dataset(check: _Checker, raw: Any, entry: str, field_name: str) -> DatasetSpec:
    data = check.mapping(raw, entry, field_name)
    check.known(
        data,
        ("name", "digest", "source", "source_type", "schema", "profile", "context"),
        f"{entry}: {field_name}",
    )
    name = check.text(data.get("name"), entry, f"{field_name}.name", required=True)
    source = check.text(data.get("source"), entry, f"{field_name}.source") or f"mockflow:{name}"
    digest = check.text(data.get("digest"), entry, f"{field_name}.digest")
    if not digest:
        digest = hashlib.md5(f"{name}:{source}".encode()).hexdigest()[:8]

    def as_json(key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    return DatasetSpec(
        name=name,
        digest=digest,
        source_type=check.text(data.get("source_type"), entry, f"{field_name}.source_type")
        or _source_type(source),
        source=source if source.startswith("{") else json.dumps({"uri": source}),
        schema=as_json("schema"),
        profile=as_json("profile"),
        context=check.text(data.get("context"), entry, f"{field_name}.context") or None,
    )


def _source_type(source: str) -> str:
    scheme = source.split(":", 1)[0] if ":" in source else ""
    return {"s3": "s3", "gs": "gcs", "http": "http", "https": "http"}.get(scheme, "local")


def _read_model(check: _Checker, raw: Any, index: int) -> ModelSpec:
    entry = f"registered_models[{index}]"
    data = check.mapping(raw, entry, None)
    name = check.text(data.get("name"), entry, "name", required=True)
    entry = f"{entry} ({name!r})"
    check.known(data, ("name", "description", "tags", "versions"), entry)
    versions = []
    for i, raw_version in enumerate(check.sequence(data.get("versions"), entry, "versions")):
        where = f"{entry} > versions[{i}]"
        v = check.mapping(raw_version, where, None)
        check.known(v, ("run", "stage", "description", "tags", "aliases"), where)
        aliases = [
            check.text(a, where, f"aliases[{j}]", required=True)
            for j, a in enumerate(check.sequence(v.get("aliases"), where, "aliases"))
        ]
        versions.append(
            VersionSpec(
                where=where,
                run=check.text(v.get("run"), where, "run", required=True),
                stage=check.choice(v.get("stage", "None"), where, "stage", STAGES),
                description=check.text(v.get("description"), where, "description") or None,
                tags=check.strings(v.get("tags"), where, "tags"),
                aliases=aliases,
            )
        )
    return ModelSpec(
        entry,
        name,
        check.text(data.get("description"), entry, "description") or None,
        check.strings(data.get("tags"), entry, "tags"),
        versions,
    )


def _check_run_reference(
    check: _Checker, version: VersionSpec, run_names: dict[str, list[str]]
) -> None:
    if "/" in version.run:
        experiment, run = version.run.rsplit("/", 1)
        if experiment not in run_names.get(run, []):
            raise check.fail(
                version.where, "run", f"no run {run!r} in experiment {experiment!r} in this file"
            )
        return
    owners = run_names.get(version.run, [])
    if not owners:
        raise check.fail(version.where, "run", f"no run named {version.run!r} in this file")
    if len(owners) > 1:
        raise check.fail(
            version.where,
            "run",
            f"run name {version.run!r} is in several experiments ({', '.join(owners)});"
            " write 'experiment/run'",
        )


# --- applying: the fixture as plain data ---------------------------------------------------------


def load_fixture(
    path: str | Path,
    *,
    seed: int,
    reference_time: int,
    progress: Progress | None = None,
) -> WorldData:
    """Check ``path`` whole, then return it (and any generated world around it) as data."""
    return fixture_world(
        read_fixture(path, seed=seed, reference_time=reference_time), progress=progress
    )


def fixture_world(fixture: Fixture, *, progress: Progress | None = None) -> WorldData:
    """The fixture's world: its ``generate:`` world with its named entries added, checked entry
    by entry so an error names the file, the entry and the field."""
    world = generate_world(
        fixture.generate,
        seed=fixture.seed,
        reference_time=fixture.reference_time,
        progress=progress,
    )
    if world.default_experiment_time is None:
        world.default_experiment_time = fixture.reference_time - 30 * DAY
    run_ids: dict[tuple[str, str], str] = {}
    for exp in fixture.experiments:
        _add_experiment(world, fixture, exp, run_ids)
    for model in fixture.models:
        _add_model(world, fixture, model, run_ids)
    return world


@contextmanager
def _entry(fixture: Fixture, where: str) -> Iterator[None]:
    try:
        yield
    except MlflowException as e:
        raise FixtureError(f"{fixture.path}: {where}: {e.message}") from None


def _add_experiment(
    world: WorldData, fixture: Fixture, exp: ExperimentSpec, run_ids: dict[tuple[str, str], str]
) -> None:
    starts = [r.start_time for r in exp.runs if r.start_time is not None]
    created = min([*starts, fixture.reference_time]) - DAY
    target = world.experiment_named(exp.name)
    with _entry(fixture, exp.where):
        if exp.name == DEFAULT_EXPERIMENT_NAME:
            experiment_id = DEFAULT_EXPERIMENT_ID
            world.default_experiment_tags.update(exp.tags)
            ExperimentData(exp.name, created, tags=dict(exp.tags)).check()
        else:
            if target is None:
                ids = [int(e.experiment_id or 0) for e in world.experiments]
                target = ExperimentData(exp.name, created, str(max(ids, default=0) + 1))
                world.experiments.append(target)
            target.tags.update(exp.tags)
            if exp.deleted:
                target.lifecycle_stage = LifecycleStage.DELETED
            target.check()
            assert target.experiment_id is not None
            experiment_id = target.experiment_id
    taken = {r.run_id for r in world.runs}
    runs: dict[str, RunData] = {}
    for run in exp.runs:
        data = _run_data(fixture, experiment_id, exp, run)
        if data.run_id in taken:
            raise FixtureError(
                f"{fixture.path}: {run.where}: field 'id': run id {data.run_id} is taken"
            )
        taken.add(data.run_id)
        runs[run.name] = data
        run_ids[(exp.name, run.name)] = data.run_id
    for run in exp.runs:
        data = runs[run.name]
        if run.parent is not None:
            data.tags[MLFLOW_PARENT_RUN_ID] = runs[run.parent].run_id
        if run.deleted:
            data.lifecycle_stage = LifecycleStage.DELETED
            data.deleted_time = (data.end_time or data.start_time or 0) + MINUTE
        with _entry(fixture, run.where):
            data.check()
        world.runs.append(data)


def _run_data(fixture: Fixture, experiment_id: str, exp: ExperimentSpec, run: RunSpec) -> RunData:
    run_id = run.run_id or hashlib.md5(f"{fixture.seed}:{exp.name}:{run.name}".encode()).hexdigest()
    tags = {MLFLOW_USER: run.user, **run.tags}
    if run.description:
        tags[MLFLOW_RUN_NOTE] = run.description
    if tags.get(MLFLOW_RUN_NAME, run.name) != run.name:
        raise FixtureError(
            f"{fixture.path}: {run.where}: field 'tags.{MLFLOW_RUN_NAME}': differs from the run's"
            f" name {run.name!r}"
        )
    start = run.start_time
    metrics: dict[str, MetricData] = {}
    last_ts = start or 0
    for key, points in run.metrics.items():
        ts = [
            p.timestamp if p.timestamp is not None else (start or 0) + (i + 1) * MINUTE
            for i, p in enumerate(points)
        ]
        last_ts = max(last_ts, *ts)
        metrics[key] = MetricData(ts, [p.step for p in points], [p.value for p in points])
    end = run.end_time
    if end is None and run.status != "RUNNING":
        end = last_ts + 1000
    return RunData(
        run_id=run_id,
        experiment_id=experiment_id,
        run_name=run.name,
        user_id=run.user,
        status=run.status,
        start_time=start,
        end_time=end,
        params=dict(run.params),
        tags=tags,
        metrics=metrics,
        dataset_inputs=[
            DatasetInput(
                Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile),
                [InputTag(MLFLOW_DATASET_CONTEXT, d.context)] if d.context else [],
            )
            for d in run.datasets
        ],
    )


def _add_model(
    world: WorldData, fixture: Fixture, model: ModelSpec, run_ids: dict[tuple[str, str], str]
) -> None:
    """A registered model of the fixture, each version backed by its run's logged model. A model
    the generated world has already gets the fixture's versions after its own."""
    target = world.registered_model(model.name)
    made_here = target is None
    if target is None:
        target = RegisteredModelData(model.name, fixture.reference_time)
        world.registered_models.append(target)
    if model.description is not None:
        target.description = model.description
    target.tags.update(model.tags)
    with _entry(fixture, model.where):
        target.check()
    first = None
    for index, version in enumerate(model.versions):
        run = world.run(_resolve_run(fixture, version.run, run_ids))
        created = (run.end_time or run.start_time or fixture.reference_time) + 10 * MINUTE
        first = created if first is None else first
        model_id = "m-" + hashlib.md5(f"{fixture.seed}:{model.name}:{index}".encode()).hexdigest()
        register_version(
            world,
            target,
            run,
            family=family_of(run),
            model_id=model_id,
            created=created,
            stage=version.stage,
            aliases=version.aliases,
            description=version.description,
            tags=version.tags,
        )
        with _entry(fixture, version.where):
            target.check()
    if made_here:  # pin its times to its first version (or the reference time)
        target.creation_time = first if first is not None else fixture.reference_time
        if first is None:
            target.last_updated_time = target.creation_time


def _resolve_run(fixture: Fixture, reference: str, run_ids: dict[tuple[str, str], str]) -> str:
    if "/" in reference:
        experiment, run = reference.rsplit("/", 1)
        return run_ids[(experiment, run)]
    return next(rid for (_, run), rid in run_ids.items() if run == reference)
