"""registered-models/* and model-versions/*: every ModelRegistryService RPC."""

from __future__ import annotations

from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.protos.model_registry_pb2 import (
    CreateModelVersion,
    CreateRegisteredModel,
    DeleteModelVersion,
    DeleteModelVersionTag,
    DeleteRegisteredModel,
    DeleteRegisteredModelAlias,
    DeleteRegisteredModelTag,
    GetLatestVersions,
    GetModelVersion,
    GetModelVersionByAlias,
    GetModelVersionDownloadUri,
    GetRegisteredModel,
    RenameRegisteredModel,
    SearchModelVersions,
    SearchRegisteredModels,
    SetModelVersionTag,
    SetRegisteredModelAlias,
    SetRegisteredModelTag,
    TransitionModelVersionStage,
    UpdateModelVersion,
    UpdateRegisteredModel,
)

from mockflow.handlers import current_settings, paged, rpc
from mockflow.mlflow_mirror import model_sources
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_at_most,
    assert_bool,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
)
from mockflow.store import Store

_NAME = {"name": [assert_string, assert_required]}
_VERSION = {**_NAME, "version": [assert_string, assert_required]}


# --- registered models ---------------------------------------------------------------------------


@rpc(
    CreateRegisteredModel,
    {**_NAME, "tags": [assert_array], "description": [assert_string]},
)
def create_registered_model(
    req: CreateRegisteredModel, store: Store
) -> CreateRegisteredModel.Response:
    model = store.registry.create_registered_model(
        req.name,
        [RegisteredModelTag(t.key, t.value) for t in req.tags],
        req.description or None,
    )
    return CreateRegisteredModel.Response(registered_model=model.to_proto())


@rpc(GetRegisteredModel, _NAME)
def get_registered_model(req: GetRegisteredModel, store: Store) -> GetRegisteredModel.Response:
    model = store.registry.get_registered_model(req.name)
    return GetRegisteredModel.Response(registered_model=model.to_proto())


@rpc(UpdateRegisteredModel, {**_NAME, "description": [assert_string]})
def update_registered_model(
    req: UpdateRegisteredModel, store: Store
) -> UpdateRegisteredModel.Response:
    model = store.registry.update_registered_model(req.name, req.description)
    return UpdateRegisteredModel.Response(registered_model=model.to_proto())


@rpc(RenameRegisteredModel, {**_NAME, "new_name": [assert_string, assert_required]})
def rename_registered_model(
    req: RenameRegisteredModel, store: Store
) -> RenameRegisteredModel.Response:
    model = store.registry.rename_registered_model(req.name, req.new_name)
    return RenameRegisteredModel.Response(registered_model=model.to_proto())


@rpc(DeleteRegisteredModel, _NAME)
def delete_registered_model(
    req: DeleteRegisteredModel, store: Store
) -> DeleteRegisteredModel.Response:
    store.registry.delete_registered_model(req.name)
    return DeleteRegisteredModel.Response()


@rpc(
    SearchRegisteredModels,
    {
        "filter": [assert_string],
        "max_results": [assert_intlike, assert_at_most(1000)],
        "order_by": [assert_array, assert_item_type_string],
        "page_token": [assert_string],
    },
)
def search_registered_models(
    req: SearchRegisteredModels, store: Store
) -> SearchRegisteredModels.Response:
    models = store.registry.search_registered_models(
        filter_string=req.filter,
        max_results=req.max_results,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    return paged(
        SearchRegisteredModels.Response(registered_models=[m.to_proto() for m in models]), models
    )


@rpc(GetLatestVersions, {**_NAME, "stages": [assert_array, assert_item_type_string]})
def get_latest_versions(req: GetLatestVersions, store: Store) -> GetLatestVersions.Response:
    versions = store.registry.get_latest_versions(req.name, list(req.stages))
    return GetLatestVersions.Response(model_versions=[v.to_proto() for v in versions])


@rpc(
    SetRegisteredModelTag,
    {**_NAME, "key": [assert_string, assert_required], "value": [assert_string]},
)
def set_registered_model_tag(
    req: SetRegisteredModelTag, store: Store
) -> SetRegisteredModelTag.Response:
    store.registry.set_registered_model_tag(req.name, RegisteredModelTag(req.key, req.value))
    return SetRegisteredModelTag.Response()


@rpc(DeleteRegisteredModelTag, {**_NAME, "key": [assert_string, assert_required]})
def delete_registered_model_tag(
    req: DeleteRegisteredModelTag, store: Store
) -> DeleteRegisteredModelTag.Response:
    store.registry.delete_registered_model_tag(req.name, req.key)
    return DeleteRegisteredModelTag.Response()


# --- model versions ------------------------------------------------------------------------------


@rpc(
    CreateModelVersion,
    {
        **_NAME,
        "source": [assert_string, assert_required],
        "run_id": [assert_string],
        "tags": [assert_array],
        "run_link": [assert_string],
        "description": [assert_string],
        "model_id": [assert_string],
    },
)
def create_model_version(req: CreateModelVersion, store: Store) -> CreateModelVersion.Response:
    settings = current_settings()
    strict = settings.strict_model_version_source
    tags = {t.key: t.value for t in req.tags}
    is_prompt = tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"
    source, run_id, model_id = req.source, req.run_id, req.model_id
    if strict and not is_prompt:
        source, run_id, model_id = model_sources.resolve_lineage(
            store,
            source,
            run_id,
            model_id,
            has_run_id=req.HasField("run_id"),
            has_model_id=req.HasField("model_id"),
        )
    model_sources.validate_source(
        store, source, run_id=run_id, model_id=model_id, is_prompt=is_prompt, strict=strict
    )
    location, run_id = model_sources.storage_location(store, source, run_id)
    if not run_id and model_id:
        run_id = store.logged_models.get_logged_model(model_id).source_run_id or ""
    version = store.registry.create_model_version(
        req.name,
        source,
        storage_location=location,
        run_id=run_id,
        tags=[ModelVersionTag(t.key, t.value) for t in req.tags],
        run_link=req.run_link,
        description=req.description,
        pending_seconds=settings.pending_registration_seconds,
    )
    if model_id and not is_prompt:
        store.logged_models.add_model_version(model_id, req.name, int(version.version))
    return CreateModelVersion.Response(model_version=version.to_proto())


@rpc(GetModelVersion, _VERSION)
def get_model_version(req: GetModelVersion, store: Store) -> GetModelVersion.Response:
    version = store.registry.get_model_version(req.name, req.version)
    return GetModelVersion.Response(model_version=version.to_proto())


@rpc(UpdateModelVersion, {**_VERSION, "description": [assert_string]})
def update_model_version(req: UpdateModelVersion, store: Store) -> UpdateModelVersion.Response:
    description = req.description if req.HasField("description") else None
    version = store.registry.update_model_version(req.name, req.version, description)
    return UpdateModelVersion.Response(model_version=version.to_proto())


@rpc(
    TransitionModelVersionStage,
    {
        **_VERSION,
        "stage": [assert_string, assert_required],
        "archive_existing_versions": [assert_bool],
    },
)
def transition_model_version_stage(
    req: TransitionModelVersionStage, store: Store
) -> TransitionModelVersionStage.Response:
    version = store.registry.transition_model_version_stage(
        req.name, req.version, req.stage, req.archive_existing_versions
    )
    return TransitionModelVersionStage.Response(model_version=version.to_proto())


@rpc(DeleteModelVersion, _VERSION)
def delete_model_version(req: DeleteModelVersion, store: Store) -> DeleteModelVersion.Response:
    store.registry.delete_model_version(req.name, req.version)
    return DeleteModelVersion.Response()


@rpc(GetModelVersionDownloadUri)
def get_model_version_download_uri(
    req: GetModelVersionDownloadUri, store: Store
) -> GetModelVersionDownloadUri.Response:
    uri = store.registry.get_model_version_download_uri(req.name, req.version)
    return GetModelVersionDownloadUri.Response(artifact_uri=uri)


@rpc(
    SearchModelVersions,
    {
        "filter": [assert_string],
        "max_results": [assert_intlike, assert_at_most(200_000)],
        "order_by": [assert_array, assert_item_type_string],
        "page_token": [assert_string],
    },
)
def search_model_versions(req: SearchModelVersions, store: Store) -> SearchModelVersions.Response:
    versions = store.registry.search_model_versions(
        filter_string=req.filter,
        max_results=req.max_results,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    return paged(
        SearchModelVersions.Response(model_versions=[v.to_proto() for v in versions]), versions
    )


@rpc(
    SetModelVersionTag,
    {**_VERSION, "key": [assert_string, assert_required], "value": [assert_string]},
)
def set_model_version_tag(req: SetModelVersionTag, store: Store) -> SetModelVersionTag.Response:
    store.registry.set_model_version_tag(req.name, req.version, ModelVersionTag(req.key, req.value))
    return SetModelVersionTag.Response()


@rpc(DeleteModelVersionTag, {**_VERSION, "key": [assert_string, assert_required]})
def delete_model_version_tag(
    req: DeleteModelVersionTag, store: Store
) -> DeleteModelVersionTag.Response:
    store.registry.delete_model_version_tag(req.name, req.version, req.key)
    return DeleteModelVersionTag.Response()


# --- aliases -------------------------------------------------------------------------------------


@rpc(
    SetRegisteredModelAlias,
    {**_VERSION, "alias": [assert_string, assert_required]},
)
def set_registered_model_alias(
    req: SetRegisteredModelAlias, store: Store
) -> SetRegisteredModelAlias.Response:
    store.registry.set_registered_model_alias(req.name, req.alias, req.version)
    return SetRegisteredModelAlias.Response()


@rpc(DeleteRegisteredModelAlias, {**_NAME, "alias": [assert_string, assert_required]})
def delete_registered_model_alias(
    req: DeleteRegisteredModelAlias, store: Store
) -> DeleteRegisteredModelAlias.Response:
    store.registry.delete_registered_model_alias(req.name, req.alias)
    return DeleteRegisteredModelAlias.Response()


@rpc(GetModelVersionByAlias, {**_NAME, "alias": [assert_string, assert_required]})
def get_model_version_by_alias(
    req: GetModelVersionByAlias, store: Store
) -> GetModelVersionByAlias.Response:
    version = store.registry.get_model_version_by_alias(req.name, req.alias)
    return GetModelVersionByAlias.Response(model_version=version.to_proto())
