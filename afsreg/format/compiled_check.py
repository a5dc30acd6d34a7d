"""The packaged file schema, compiled by fastjsonschema. Generated: do not edit.

Remade by afsreg.format.schema.write_compiled_check() when schemas/ change
(tests/format/test_schema.py fails until it is).

Why ~1,100 lines: it is generated, one branch per schema keyword."""

# ruff: noqa
# mypy: ignore-errors
SCHEMA_DIGEST = "46b0ec76198d9b07"
VERSION = "2.22.3"
from decimal import Decimal
import re
class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException


REGEX_PATTERNS = {
    '^[a-z0-9][a-z0-9._-]*$': re.compile('^[a-z0-9][a-z0-9._-]*\\Z'),
    '^[^\\s]+$': re.compile('^[^\\s]+\\Z'),
    '^[a-z0-9][a-z0-9-]*$': re.compile('^[a-z0-9][a-z0-9-]*\\Z'),
    '^[0-9a-f]{7,40}$': re.compile('^[0-9a-f]{7,40}\\Z'),
    '^[a-z_][a-z0-9_]*(\\.[a-z0-9_]+)*$': re.compile('^[a-z_][a-z0-9_]*(\\.[a-z0-9_]+)*\\Z'),
    '^[a-z0-9][a-z0-9._-]*@v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$': re.compile('^[a-z0-9][a-z0-9._-]*@v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?\\Z'),
    '^[0-9a-f]{64}$': re.compile('^[0-9a-f]{64}\\Z'),
    '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$': re.compile('^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*\\Z'),
    '^v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$': re.compile('^v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?\\Z'),
    '^rouge[0-9A-Za-z]+$': re.compile('^rouge[0-9A-Za-z]+\\Z'),
    '^[A-Za-z0-9_.@/+-]+$': re.compile('^[A-Za-z0-9_.@/+-]+\\Z')
}

NoneType = type(None)

def validate(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException('')
    validate___definitions_metadata__root(data, custom_formats, None)
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['schema_version', 'name', 'version', 'title', 'owner', 'model_family', 'framework', 'is_external', 'promotion', 'status']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException('')
        data_keys = set(data.keys())
        if "schema_version" in data_keys:
            data_keys.remove("schema_version")
            data__schemaversion = data["schema_version"]
            if not (isinstance(data__schemaversion, (int, float)) and not isinstance(data__schemaversion, bool) and data__schemaversion == 1):
                raise JsonSchemaValueException('')
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__name, str):
                data__name_len = len(data__name)
                if data__name_len > 100:
                    raise JsonSchemaValueException('')
                if not REGEX_PATTERNS['^[a-z0-9][a-z0-9._-]*$'].search(data__name):
                    raise JsonSchemaValueException('')
        if "version" in data_keys:
            data_keys.remove("version")
            data__version = data["version"]
            validate___definitions_version(data__version, custom_formats, None)
        if "artifact_id" in data_keys:
            data_keys.remove("artifact_id")
            data__artifactid = data["artifact_id"]
            if not isinstance(data__artifactid, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__artifactid, str):
                data__artifactid_len = len(data__artifactid)
                if data__artifactid_len < 1:
                    raise JsonSchemaValueException('')
                if data__artifactid_len > 200:
                    raise JsonSchemaValueException('')
                if not REGEX_PATTERNS['^[^\\s]+$'].search(data__artifactid):
                    raise JsonSchemaValueException('')
        if "title" in data_keys:
            data_keys.remove("title")
            data__title = data["title"]
            if not isinstance(data__title, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__title, str):
                data__title_len = len(data__title)
                if data__title_len < 1:
                    raise JsonSchemaValueException('')
                if data__title_len > 200:
                    raise JsonSchemaValueException('')
        if "description" in data_keys:
            data_keys.remove("description")
            data__description = data["description"]
            if not isinstance(data__description, (str)):
                raise JsonSchemaValueException('')
        if "owner" in data_keys:
            data_keys.remove("owner")
            data__owner = data["owner"]
            if not isinstance(data__owner, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__owner, str):
                data__owner_len = len(data__owner)
                if data__owner_len < 1:
                    raise JsonSchemaValueException('')
        if "tags" in data_keys:
            data_keys.remove("tags")
            data__tags = data["tags"]
            if not isinstance(data__tags, (list, tuple)):
                raise JsonSchemaValueException('')
            data__tags_is_list = isinstance(data__tags, (list, tuple))
            if data__tags_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__tags_len = len(data__tags)
                if data__tags_len > len(set(fn(data__tags_x) for data__tags_x in data__tags)):
                    raise JsonSchemaValueException('')
                for data__tags_x, data__tags_item in enumerate(data__tags):
                    if not isinstance(data__tags_item, (str)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__tags_item, str):
                        if not REGEX_PATTERNS['^[a-z0-9][a-z0-9._-]*$'].search(data__tags_item):
                            raise JsonSchemaValueException('')
        if "created_at" in data_keys:
            data_keys.remove("created_at")
            data__createdat = data["created_at"]
            validate___definitions_timestamp(data__createdat, custom_formats, None)
        if "license" in data_keys:
            data_keys.remove("license")
            data__license = data["license"]
            if not isinstance(data__license, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__license, str):
                data__license_len = len(data__license)
                if data__license_len > 100:
                    raise JsonSchemaValueException('')
                if not REGEX_PATTERNS['^[a-z0-9][a-z0-9._-]*$'].search(data__license):
                    raise JsonSchemaValueException('')
        if "library_name" in data_keys:
            data_keys.remove("library_name")
            data__libraryname = data["library_name"]
            if not isinstance(data__libraryname, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__libraryname, str):
                data__libraryname_len = len(data__libraryname)
                if data__libraryname_len < 1:
                    raise JsonSchemaValueException('')
                if data__libraryname_len > 100:
                    raise JsonSchemaValueException('')
                if not REGEX_PATTERNS['^[^\\s]+$'].search(data__libraryname):
                    raise JsonSchemaValueException('')
        if "pipeline_tag" in data_keys:
            data_keys.remove("pipeline_tag")
            data__pipelinetag = data["pipeline_tag"]
            if not isinstance(data__pipelinetag, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__pipelinetag, str):
                data__pipelinetag_len = len(data__pipelinetag)
                if data__pipelinetag_len > 100:
                    raise JsonSchemaValueException('')
                if not REGEX_PATTERNS['^[a-z0-9][a-z0-9-]*$'].search(data__pipelinetag):
                    raise JsonSchemaValueException('')
        if "language" in data_keys:
            data_keys.remove("language")
            data__language = data["language"]
            data__language_one_of_count1 = 0
            if data__language_one_of_count1 < 2:
                try:
                    validate___definitions_language(data__language, custom_formats, None)
                    data__language_one_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if data__language_one_of_count1 < 2:
                try:
                    if not isinstance(data__language, (list, tuple)):
                        raise JsonSchemaValueException('')
                    data__language_is_list = isinstance(data__language, (list, tuple))
                    if data__language_is_list:
                        data__language_len = len(data__language)
                        if data__language_len < 1:
                            raise JsonSchemaValueException('')
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__language_len > len(set(fn(data__language_x) for data__language_x in data__language)):
                            raise JsonSchemaValueException('')
                        for data__language_x, data__language_item in enumerate(data__language):
                            validate___definitions_language(data__language_item, custom_formats, None)
                    data__language_one_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if data__language_one_of_count1 != 1:
                raise JsonSchemaValueException('')
        if "model_family" in data_keys:
            data_keys.remove("model_family")
            data__modelfamily = data["model_family"]
            pass
        if "framework" in data_keys:
            data_keys.remove("framework")
            data__framework = data["framework"]
            pass
        if "parameter_count" in data_keys:
            data_keys.remove("parameter_count")
            data__parametercount = data["parameter_count"]
            pass
        if "is_external" in data_keys:
            data_keys.remove("is_external")
            data__isexternal = data["is_external"]
            pass
        if "external_source_url" in data_keys:
            data_keys.remove("external_source_url")
            data__externalsourceurl = data["external_source_url"]
            pass
        if "external_source_version" in data_keys:
            data_keys.remove("external_source_version")
            data__externalsourceversion = data["external_source_version"]
            pass
        if "training_data" in data_keys:
            data_keys.remove("training_data")
            data__trainingdata = data["training_data"]
            pass
        if "evaluation_dataset" in data_keys:
            data_keys.remove("evaluation_dataset")
            data__evaluationdataset = data["evaluation_dataset"]
            pass
        if "evaluation_metrics" in data_keys:
            data_keys.remove("evaluation_metrics")
            data__evaluationmetrics = data["evaluation_metrics"]
            pass
        if "benchmark_id" in data_keys:
            data_keys.remove("benchmark_id")
            data__benchmarkid = data["benchmark_id"]
            pass
        if "training_config" in data_keys:
            data_keys.remove("training_config")
            data__trainingconfig = data["training_config"]
            pass
        if "base_model_id" in data_keys:
            data_keys.remove("base_model_id")
            data__basemodelid = data["base_model_id"]
            raise JsonSchemaValueException('')
        if "code" in data_keys:
            data_keys.remove("code")
            data__code = data["code"]
            if not isinstance(data__code, (dict)):
                raise JsonSchemaValueException('')
            data__code_is_dict = isinstance(data__code, dict)
            if data__code_is_dict:
                data__code_keys = set(data__code.keys())
                if "repo_url" in data__code_keys:
                    data__code_keys.remove("repo_url")
                    data__code__repourl = data__code["repo_url"]
                    if not isinstance(data__code__repourl, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__code__repourl, str):
                        if not custom_formats["uri"](data__code__repourl):
                            raise JsonSchemaValueException('')
                if "commit_sha" in data__code_keys:
                    data__code_keys.remove("commit_sha")
                    data__code__commitsha = data__code["commit_sha"]
                    if not isinstance(data__code__commitsha, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__code__commitsha, str):
                        if not REGEX_PATTERNS['^[0-9a-f]{7,40}$'].search(data__code__commitsha):
                            raise JsonSchemaValueException('')
                if "entrypoint" in data__code_keys:
                    data__code_keys.remove("entrypoint")
                    data__code__entrypoint = data__code["entrypoint"]
                    if not isinstance(data__code__entrypoint, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__code__entrypoint, str):
                        data__code__entrypoint_len = len(data__code__entrypoint)
                        if data__code__entrypoint_len < 1:
                            raise JsonSchemaValueException('')
                if data__code_keys:
                    raise JsonSchemaValueException('')
        if "training" in data_keys:
            data_keys.remove("training")
            data__training = data["training"]
            if not isinstance(data__training, (dict)):
                raise JsonSchemaValueException('')
            data__training_is_dict = isinstance(data__training, dict)
            if data__training_is_dict:
                data__training_keys = set(data__training.keys())
                if "started_at" in data__training_keys:
                    data__training_keys.remove("started_at")
                    data__training__startedat = data__training["started_at"]
                    validate___definitions_timestamp_or_null(data__training__startedat, custom_formats, None)
                if "completed_at" in data__training_keys:
                    data__training_keys.remove("completed_at")
                    data__training__completedat = data__training["completed_at"]
                    validate___definitions_timestamp_or_null(data__training__completedat, custom_formats, None)
                if "trained_by" in data__training_keys:
                    data__training_keys.remove("trained_by")
                    data__training__trainedby = data__training["trained_by"]
                    if not isinstance(data__training__trainedby, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__training__trainedby, str):
                        data__training__trainedby_len = len(data__training__trainedby)
                        if data__training__trainedby_len < 1:
                            raise JsonSchemaValueException('')
                if "gpu_allocation_id" in data__training_keys:
                    data__training_keys.remove("gpu_allocation_id")
                    data__training__gpuallocationid = data__training["gpu_allocation_id"]
                    if not isinstance(data__training__gpuallocationid, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__training__gpuallocationid, str):
                        data__training__gpuallocationid_len = len(data__training__gpuallocationid)
                        if data__training__gpuallocationid_len < 1:
                            raise JsonSchemaValueException('')
                if "hardware" in data__training_keys:
                    data__training_keys.remove("hardware")
                    data__training__hardware = data__training["hardware"]
                    if not isinstance(data__training__hardware, (str, NoneType)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__training__hardware, str):
                        data__training__hardware_len = len(data__training__hardware)
                        if data__training__hardware_len < 1:
                            raise JsonSchemaValueException('')
                if "duration_hours" in data__training_keys:
                    data__training_keys.remove("duration_hours")
                    data__training__durationhours = data__training["duration_hours"]
                    if not isinstance(data__training__durationhours, (int, float, Decimal, NoneType)) or isinstance(data__training__durationhours, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__training__durationhours, (int, float, Decimal)) and not isinstance(data__training__durationhours, bool):
                        if data__training__durationhours < 0:
                            raise JsonSchemaValueException('')
                if "cost_usd" in data__training_keys:
                    data__training_keys.remove("cost_usd")
                    data__training__costusd = data__training["cost_usd"]
                    if not isinstance(data__training__costusd, (int, float, Decimal, NoneType)) or isinstance(data__training__costusd, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__training__costusd, (int, float, Decimal)) and not isinstance(data__training__costusd, bool):
                        if data__training__costusd < 0:
                            raise JsonSchemaValueException('')
                if data__training_keys:
                    raise JsonSchemaValueException('')
        if "files" in data_keys:
            data_keys.remove("files")
            data__files = data["files"]
            if not isinstance(data__files, (dict)):
                raise JsonSchemaValueException('')
            data__files_is_dict = isinstance(data__files, dict)
            if data__files_is_dict:
                data__files_keys = set(data__files.keys())
                if "lora" in data__files_keys:
                    data__files_keys.remove("lora")
                    data__files__lora = data__files["lora"]
                    validate___definitions_file_ref(data__files__lora, custom_formats, None)
                if "gguf" in data__files_keys:
                    data__files_keys.remove("gguf")
                    data__files__gguf = data__files["gguf"]
                    validate___definitions_file_ref(data__files__gguf, custom_formats, None)
                if "checkpoint" in data__files_keys:
                    data__files_keys.remove("checkpoint")
                    data__files__checkpoint = data__files["checkpoint"]
                    validate___definitions_file_ref(data__files__checkpoint, custom_formats, None)
                if "config" in data__files_keys:
                    data__files_keys.remove("config")
                    data__files__config = data__files["config"]
                    validate___definitions_file_ref(data__files__config, custom_formats, None)
                if data__files_keys:
                    raise JsonSchemaValueException('')
        if "lineage" in data_keys:
            data_keys.remove("lineage")
            data__lineage = data["lineage"]
            if not isinstance(data__lineage, (dict)):
                raise JsonSchemaValueException('')
            data__lineage_is_dict = isinstance(data__lineage, dict)
            if data__lineage_is_dict:
                data__lineage_keys = set(data__lineage.keys())
                if "parent" in data__lineage_keys:
                    data__lineage_keys.remove("parent")
                    data__lineage__parent = data__lineage["parent"]
                    validate___definitions_version(data__lineage__parent, custom_formats, None)
                if "base_models" in data__lineage_keys:
                    data__lineage_keys.remove("base_models")
                    data__lineage__basemodels = data__lineage["base_models"]
                    if not isinstance(data__lineage__basemodels, (list, tuple)):
                        raise JsonSchemaValueException('')
                    data__lineage__basemodels_is_list = isinstance(data__lineage__basemodels, (list, tuple))
                    if data__lineage__basemodels_is_list:
                        data__lineage__basemodels_len = len(data__lineage__basemodels)
                        if data__lineage__basemodels_len < 1:
                            raise JsonSchemaValueException('')
                        for data__lineage__basemodels_x, data__lineage__basemodels_item in enumerate(data__lineage__basemodels):
                            validate___definitions_base_model(data__lineage__basemodels_item, custom_formats, None)
                if data__lineage_keys:
                    raise JsonSchemaValueException('')
        if "promotion" in data_keys:
            data_keys.remove("promotion")
            data__promotion = data["promotion"]
            if not isinstance(data__promotion, (dict)):
                raise JsonSchemaValueException('')
            data__promotion_is_dict = isinstance(data__promotion, dict)
            if data__promotion_is_dict:
                data__promotion__missing_keys = set(['state']) - data__promotion.keys()
                if data__promotion__missing_keys:
                    raise JsonSchemaValueException('')
                data__promotion_keys = set(data__promotion.keys())
                if "state" in data__promotion_keys:
                    data__promotion_keys.remove("state")
                    data__promotion__state = data__promotion["state"]
                    if not (isinstance(data__promotion__state, str) and data__promotion__state == 'candidate' or isinstance(data__promotion__state, str) and data__promotion__state == 'promoted' or isinstance(data__promotion__state, str) and data__promotion__state == 'rejected' or isinstance(data__promotion__state, str) and data__promotion__state == 'superseded'):
                        raise JsonSchemaValueException('')
                if "notes" in data__promotion_keys:
                    data__promotion_keys.remove("notes")
                    data__promotion__notes = data__promotion["notes"]
                    if not isinstance(data__promotion__notes, (str)):
                        raise JsonSchemaValueException('')
                if "decided_by" in data__promotion_keys:
                    data__promotion_keys.remove("decided_by")
                    data__promotion__decidedby = data__promotion["decided_by"]
                    if not isinstance(data__promotion__decidedby, (str)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__promotion__decidedby, str):
                        data__promotion__decidedby_len = len(data__promotion__decidedby)
                        if data__promotion__decidedby_len < 1:
                            raise JsonSchemaValueException('')
                if "decided_at" in data__promotion_keys:
                    data__promotion_keys.remove("decided_at")
                    data__promotion__decidedat = data__promotion["decided_at"]
                    validate___definitions_timestamp(data__promotion__decidedat, custom_formats, None)
                if "superseded_by" in data__promotion_keys:
                    data__promotion_keys.remove("superseded_by")
                    data__promotion__supersededby = data__promotion["superseded_by"]
                    validate___definitions_version(data__promotion__supersededby, custom_formats, None)
                if data__promotion_keys:
                    raise JsonSchemaValueException('')
        if "status" in data_keys:
            data_keys.remove("status")
            data__status = data["status"]
            if not (isinstance(data__status, str) and data__status == 'draft' or isinstance(data__status, str) and data__status == 'training' or isinstance(data__status, str) and data__status == 'completed' or isinstance(data__status, str) and data__status == 'deployed' or isinstance(data__status, str) and data__status == 'deprecated' or isinstance(data__status, str) and data__status == 'archived'):
                raise JsonSchemaValueException('')
        if "deployments" in data_keys:
            data_keys.remove("deployments")
            data__deployments = data["deployments"]
            if not isinstance(data__deployments, (list, tuple)):
                raise JsonSchemaValueException('')
            data__deployments_is_list = isinstance(data__deployments, (list, tuple))
            if data__deployments_is_list:
                data__deployments_len = len(data__deployments)
                for data__deployments_x, data__deployments_item in enumerate(data__deployments):
                    if not isinstance(data__deployments_item, (dict)):
                        raise JsonSchemaValueException('')
                    data__deployments_item_is_dict = isinstance(data__deployments_item, dict)
                    if data__deployments_item_is_dict:
                        data__deployments_item__missing_keys = set(['env', 'deployed_at', 'deployed_by']) - data__deployments_item.keys()
                        if data__deployments_item__missing_keys:
                            raise JsonSchemaValueException('')
                        data__deployments_item_keys = set(data__deployments_item.keys())
                        if "env" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("env")
                            data__deployments_item__env = data__deployments_item["env"]
                            if not isinstance(data__deployments_item__env, (str)):
                                raise JsonSchemaValueException('')
                            if isinstance(data__deployments_item__env, str):
                                if not REGEX_PATTERNS['^[a-z0-9][a-z0-9._-]*$'].search(data__deployments_item__env):
                                    raise JsonSchemaValueException('')
                        if "deployed_at" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("deployed_at")
                            data__deployments_item__deployedat = data__deployments_item["deployed_at"]
                            validate___definitions_timestamp(data__deployments_item__deployedat, custom_formats, None)
                        if "deployed_by" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("deployed_by")
                            data__deployments_item__deployedby = data__deployments_item["deployed_by"]
                            if not isinstance(data__deployments_item__deployedby, (str)):
                                raise JsonSchemaValueException('')
                            if isinstance(data__deployments_item__deployedby, str):
                                data__deployments_item__deployedby_len = len(data__deployments_item__deployedby)
                                if data__deployments_item__deployedby_len < 1:
                                    raise JsonSchemaValueException('')
                        if "undeployed_at" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("undeployed_at")
                            data__deployments_item__undeployedat = data__deployments_item["undeployed_at"]
                            validate___definitions_timestamp(data__deployments_item__undeployedat, custom_formats, None)
                        if "undeployed_by" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("undeployed_by")
                            data__deployments_item__undeployedby = data__deployments_item["undeployed_by"]
                            if not isinstance(data__deployments_item__undeployedby, (str)):
                                raise JsonSchemaValueException('')
                            if isinstance(data__deployments_item__undeployedby, str):
                                data__deployments_item__undeployedby_len = len(data__deployments_item__undeployedby)
                                if data__deployments_item__undeployedby_len < 1:
                                    raise JsonSchemaValueException('')
                        if "reason" in data__deployments_item_keys:
                            data__deployments_item_keys.remove("reason")
                            data__deployments_item__reason = data__deployments_item["reason"]
                            if not isinstance(data__deployments_item__reason, (str)):
                                raise JsonSchemaValueException('')
                        if data__deployments_item_keys:
                            raise JsonSchemaValueException('')
        if "review" in data_keys:
            data_keys.remove("review")
            data__review = data["review"]
            if not isinstance(data__review, (list, tuple)):
                raise JsonSchemaValueException('')
            data__review_is_list = isinstance(data__review, (list, tuple))
            if data__review_is_list:
                data__review_len = len(data__review)
                for data__review_x, data__review_item in enumerate(data__review):
                    if not isinstance(data__review_item, (dict)):
                        raise JsonSchemaValueException('')
                    data__review_item_is_dict = isinstance(data__review_item, dict)
                    if data__review_item_is_dict:
                        data__review_item__missing_keys = set(['field', 'reason']) - data__review_item.keys()
                        if data__review_item__missing_keys:
                            raise JsonSchemaValueException('')
                        data__review_item_keys = set(data__review_item.keys())
                        if "field" in data__review_item_keys:
                            data__review_item_keys.remove("field")
                            data__review_item__field = data__review_item["field"]
                            if not isinstance(data__review_item__field, (str)):
                                raise JsonSchemaValueException('')
                            if isinstance(data__review_item__field, str):
                                if not REGEX_PATTERNS['^[a-z_][a-z0-9_]*(\\.[a-z0-9_]+)*$'].search(data__review_item__field):
                                    raise JsonSchemaValueException('')
                        if "reason" in data__review_item_keys:
                            data__review_item_keys.remove("reason")
                            data__review_item__reason = data__review_item["reason"]
                            if not isinstance(data__review_item__reason, (str)):
                                raise JsonSchemaValueException('')
                            if isinstance(data__review_item__reason, str):
                                data__review_item__reason_len = len(data__review_item__reason)
                                if data__review_item__reason_len < 1:
                                    raise JsonSchemaValueException('')
                        if "known" in data__review_item_keys:
                            data__review_item_keys.remove("known")
                            data__review_item__known = data__review_item["known"]
                        if data__review_item_keys:
                            raise JsonSchemaValueException('')
        if data_keys:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_base_model(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException('')
    data_one_of_count2 = 0
    if data_one_of_count2 < 2:
        try:
            try:
                data_any_of_count3 = 0
                if not data_any_of_count3:
                    try:
                        data_is_dict = isinstance(data, dict)
                        if data_is_dict:
                            data__missing_keys = set(['external']) - data.keys()
                            if data__missing_keys:
                                raise JsonSchemaValueException('')
                        data_any_of_count3 += 1
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                if not data_any_of_count3:
                    try:
                        data_is_dict = isinstance(data, dict)
                        if data_is_dict:
                            data__missing_keys = set(['source']) - data.keys()
                            if data__missing_keys:
                                raise JsonSchemaValueException('')
                        data_any_of_count3 += 1
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                if not data_any_of_count3:
                    try:
                        data_is_dict = isinstance(data, dict)
                        if data_is_dict:
                            data__missing_keys = set(['revision']) - data.keys()
                            if data__missing_keys:
                                raise JsonSchemaValueException('')
                        data_any_of_count3 += 1
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                if not data_any_of_count3:
                    raise JsonSchemaValueException('')
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException('')
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['model']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
            data_one_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count2 < 2:
        try:
            try:
                data_is_dict = isinstance(data, dict)
                if data_is_dict:
                    data__missing_keys = set(['model']) - data.keys()
                    if data__missing_keys:
                        raise JsonSchemaValueException('')
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException('')
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['external', 'source']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
            data_one_of_count2 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count2 != 1:
        raise JsonSchemaValueException('')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['relation']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException('')
        data_keys = set(data.keys())
        if "model" in data_keys:
            data_keys.remove("model")
            data__model = data["model"]
            if not isinstance(data__model, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__model, str):
                if not REGEX_PATTERNS['^[a-z0-9][a-z0-9._-]*@v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$'].search(data__model):
                    raise JsonSchemaValueException('')
        if "external" in data_keys:
            data_keys.remove("external")
            data__external = data["external"]
            if not isinstance(data__external, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__external, str):
                data__external_len = len(data__external)
                if data__external_len < 1:
                    raise JsonSchemaValueException('')
        if "source" in data_keys:
            data_keys.remove("source")
            data__source = data["source"]
            if not (isinstance(data__source, str) and data__source == 'huggingface' or isinstance(data__source, str) and data__source == 'github' or isinstance(data__source, str) and data__source == 'zenodo' or isinstance(data__source, str) and data__source == 'url' or isinstance(data__source, str) and data__source == 'other'):
                raise JsonSchemaValueException('')
        if "revision" in data_keys:
            data_keys.remove("revision")
            data__revision = data["revision"]
            if not isinstance(data__revision, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__revision, str):
                data__revision_len = len(data__revision)
                if data__revision_len < 1:
                    raise JsonSchemaValueException('')
        if "relation" in data_keys:
            data_keys.remove("relation")
            data__relation = data["relation"]
            if not (isinstance(data__relation, str) and data__relation == 'fine-tune' or isinstance(data__relation, str) and data__relation == 'adapter' or isinstance(data__relation, str) and data__relation == 'quantized' or isinstance(data__relation, str) and data__relation == 'merge' or isinstance(data__relation, str) and data__relation == 'distill'):
                raise JsonSchemaValueException('')
        if data_keys:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_file_ref(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException('')
    data_any_of_count4 = 0
    if not data_any_of_count4:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['path']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
            data_any_of_count4 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count4:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['uri']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
            data_any_of_count4 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if not data_any_of_count4:
        raise JsonSchemaValueException('')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_len = len(data)
        if data_len < 1:
            raise JsonSchemaValueException('')
        data_keys = set(data.keys())
        if "path" in data_keys:
            data_keys.remove("path")
            data__path = data["path"]
            if not isinstance(data__path, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__path, str):
                data__path_len = len(data__path)
                if data__path_len < 1:
                    raise JsonSchemaValueException('')
        if "uri" in data_keys:
            data_keys.remove("uri")
            data__uri = data["uri"]
            if not isinstance(data__uri, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__uri, str):
                if not custom_formats["uri"](data__uri):
                    raise JsonSchemaValueException('')
        if "sha256" in data_keys:
            data_keys.remove("sha256")
            data__sha256 = data["sha256"]
            if not isinstance(data__sha256, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__sha256, str):
                if not REGEX_PATTERNS['^[0-9a-f]{64}$'].search(data__sha256):
                    raise JsonSchemaValueException('')
        if "size_bytes" in data_keys:
            data_keys.remove("size_bytes")
            data__sizebytes = data["size_bytes"]
            if not isinstance(data__sizebytes, (int)) and not (isinstance(data__sizebytes, float) and data__sizebytes.is_integer()) or isinstance(data__sizebytes, bool):
                raise JsonSchemaValueException('')
            if isinstance(data__sizebytes, (int, float, Decimal)) and not isinstance(data__sizebytes, bool):
                if data__sizebytes < 0:
                    raise JsonSchemaValueException('')
        if data_keys:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_timestamp_or_null(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str, NoneType)):
        raise JsonSchemaValueException('')
    if isinstance(data, str):
        if not custom_formats["date-time"](data):
            raise JsonSchemaValueException('')
    return data

def validate___definitions_language(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException('')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$'].search(data):
            raise JsonSchemaValueException('')
    return data

def validate___definitions_timestamp(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException('')
    if isinstance(data, str):
        if not custom_formats["date-time"](data):
            raise JsonSchemaValueException('')
    return data

def validate___definitions_version(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException('')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^v(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$'].search(data):
            raise JsonSchemaValueException('')
    return data

def validate___definitions_metadata__root(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException('')
    data_one_of_count5 = 0
    if data_one_of_count5 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['external_source_url', 'external_source_version']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
                data_keys = set(data.keys())
                if "is_external" in data_keys:
                    data_keys.remove("is_external")
                    data__isexternal = data["is_external"]
                    if not (isinstance(data__isexternal, bool) and data__isexternal is True):
                        raise JsonSchemaValueException('')
            data_one_of_count5 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count5 < 2:
        try:
            data_is_dict = isinstance(data, dict)
            if data_is_dict:
                data__missing_keys = set(['training_data', 'training_config', 'evaluation_dataset', 'evaluation_metrics']) - data.keys()
                if data__missing_keys:
                    raise JsonSchemaValueException('')
                data_keys = set(data.keys())
                if "is_external" in data_keys:
                    data_keys.remove("is_external")
                    data__isexternal = data["is_external"]
                    if not (isinstance(data__isexternal, bool) and data__isexternal is False):
                        raise JsonSchemaValueException('')
            data_one_of_count5 += 1
        except (JsonSchemaValueException, JsonSchemaValuesException): pass
    if data_one_of_count5 != 1:
        raise JsonSchemaValueException('')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['model_family', 'framework', 'is_external', 'parameter_count']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException('')
        data_keys = set(data.keys())
        if "model_family" in data_keys:
            data_keys.remove("model_family")
            data__modelfamily = data["model_family"]
            if not isinstance(data__modelfamily, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__modelfamily, str):
                data__modelfamily_len = len(data__modelfamily)
                if data__modelfamily_len < 1:
                    raise JsonSchemaValueException('')
        if "framework" in data_keys:
            data_keys.remove("framework")
            data__framework = data["framework"]
            if not isinstance(data__framework, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__framework, str):
                data__framework_len = len(data__framework)
                if data__framework_len < 1:
                    raise JsonSchemaValueException('')
        if "parameter_count" in data_keys:
            data_keys.remove("parameter_count")
            data__parametercount = data["parameter_count"]
            if not isinstance(data__parametercount, (int, NoneType)) and not (isinstance(data__parametercount, float) and data__parametercount.is_integer()) or isinstance(data__parametercount, bool):
                raise JsonSchemaValueException('')
            if isinstance(data__parametercount, (int, float, Decimal)) and not isinstance(data__parametercount, bool):
                if data__parametercount < 0:
                    raise JsonSchemaValueException('')
        if "is_external" in data_keys:
            data_keys.remove("is_external")
            data__isexternal = data["is_external"]
            if not isinstance(data__isexternal, (bool)):
                raise JsonSchemaValueException('')
        if "external_source_url" in data_keys:
            data_keys.remove("external_source_url")
            data__externalsourceurl = data["external_source_url"]
            if not isinstance(data__externalsourceurl, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__externalsourceurl, str):
                if not custom_formats["uri"](data__externalsourceurl):
                    raise JsonSchemaValueException('')
        if "external_source_version" in data_keys:
            data_keys.remove("external_source_version")
            data__externalsourceversion = data["external_source_version"]
            if not isinstance(data__externalsourceversion, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__externalsourceversion, str):
                data__externalsourceversion_len = len(data__externalsourceversion)
                if data__externalsourceversion_len < 1:
                    raise JsonSchemaValueException('')
        if "training_data" in data_keys:
            data_keys.remove("training_data")
            data__trainingdata = data["training_data"]
            if not isinstance(data__trainingdata, (list, tuple, NoneType)):
                raise JsonSchemaValueException('')
            data__trainingdata_is_list = isinstance(data__trainingdata, (list, tuple))
            if data__trainingdata_is_list:
                data__trainingdata_len = len(data__trainingdata)
                for data__trainingdata_x, data__trainingdata_item in enumerate(data__trainingdata):
                    validate___definitions_metadata__dataset_ref(data__trainingdata_item, custom_formats, None)
        if "evaluation_dataset" in data_keys:
            data_keys.remove("evaluation_dataset")
            data__evaluationdataset = data["evaluation_dataset"]
            data__evaluationdataset_one_of_count6 = 0
            if data__evaluationdataset_one_of_count6 < 2:
                try:
                    if not isinstance(data__evaluationdataset, (NoneType)):
                        raise JsonSchemaValueException('')
                    data__evaluationdataset_one_of_count6 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if data__evaluationdataset_one_of_count6 < 2:
                try:
                    if not isinstance(data__evaluationdataset, (str)):
                        raise JsonSchemaValueException('')
                    if isinstance(data__evaluationdataset, str):
                        data__evaluationdataset_len = len(data__evaluationdataset)
                        if data__evaluationdataset_len < 1:
                            raise JsonSchemaValueException('')
                    data__evaluationdataset_one_of_count6 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if data__evaluationdataset_one_of_count6 < 2:
                try:
                    validate___definitions_metadata__dataset_ref(data__evaluationdataset, custom_formats, None)
                    data__evaluationdataset_one_of_count6 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if data__evaluationdataset_one_of_count6 != 1:
                raise JsonSchemaValueException('')
        if "evaluation_metrics" in data_keys:
            data_keys.remove("evaluation_metrics")
            data__evaluationmetrics = data["evaluation_metrics"]
            validate___definitions_metadata__evaluation_metrics(data__evaluationmetrics, custom_formats, None)
        if "benchmark_id" in data_keys:
            data_keys.remove("benchmark_id")
            data__benchmarkid = data["benchmark_id"]
            if not isinstance(data__benchmarkid, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__benchmarkid, str):
                data__benchmarkid_len = len(data__benchmarkid)
                if data__benchmarkid_len < 1:
                    raise JsonSchemaValueException('')
        if "base_model_id" in data_keys:
            data_keys.remove("base_model_id")
            data__basemodelid = data["base_model_id"]
            if not isinstance(data__basemodelid, (str, NoneType)):
                raise JsonSchemaValueException('')
            if isinstance(data__basemodelid, str):
                data__basemodelid_len = len(data__basemodelid)
                if data__basemodelid_len < 1:
                    raise JsonSchemaValueException('')
        if "training_config" in data_keys:
            data_keys.remove("training_config")
            data__trainingconfig = data["training_config"]
            if not isinstance(data__trainingconfig, (dict, NoneType)):
                raise JsonSchemaValueException('')
            data__trainingconfig_is_dict = isinstance(data__trainingconfig, dict)
            if data__trainingconfig_is_dict:
                data__trainingconfig_keys = set(data__trainingconfig.keys())
                if "samples" in data__trainingconfig_keys:
                    data__trainingconfig_keys.remove("samples")
                    data__trainingconfig__samples = data__trainingconfig["samples"]
                    if not isinstance(data__trainingconfig__samples, (int)) and not (isinstance(data__trainingconfig__samples, float) and data__trainingconfig__samples.is_integer()) or isinstance(data__trainingconfig__samples, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__trainingconfig__samples, (int, float, Decimal)) and not isinstance(data__trainingconfig__samples, bool):
                        if data__trainingconfig__samples < 0:
                            raise JsonSchemaValueException('')
                if "epochs" in data__trainingconfig_keys:
                    data__trainingconfig_keys.remove("epochs")
                    data__trainingconfig__epochs = data__trainingconfig["epochs"]
                    if not isinstance(data__trainingconfig__epochs, (int, float, Decimal)) or isinstance(data__trainingconfig__epochs, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__trainingconfig__epochs, (int, float, Decimal)) and not isinstance(data__trainingconfig__epochs, bool):
                        if data__trainingconfig__epochs <= 0:
                            raise JsonSchemaValueException('')
                if "batch_size" in data__trainingconfig_keys:
                    data__trainingconfig_keys.remove("batch_size")
                    data__trainingconfig__batchsize = data__trainingconfig["batch_size"]
                    if not isinstance(data__trainingconfig__batchsize, (int)) and not (isinstance(data__trainingconfig__batchsize, float) and data__trainingconfig__batchsize.is_integer()) or isinstance(data__trainingconfig__batchsize, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__trainingconfig__batchsize, (int, float, Decimal)) and not isinstance(data__trainingconfig__batchsize, bool):
                        if data__trainingconfig__batchsize < 1:
                            raise JsonSchemaValueException('')
                if "learning_rate" in data__trainingconfig_keys:
                    data__trainingconfig_keys.remove("learning_rate")
                    data__trainingconfig__learningrate = data__trainingconfig["learning_rate"]
                    if not isinstance(data__trainingconfig__learningrate, (int, float, Decimal)) or isinstance(data__trainingconfig__learningrate, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__trainingconfig__learningrate, (int, float, Decimal)) and not isinstance(data__trainingconfig__learningrate, bool):
                        if data__trainingconfig__learningrate <= 0:
                            raise JsonSchemaValueException('')
                if "sequence_length" in data__trainingconfig_keys:
                    data__trainingconfig_keys.remove("sequence_length")
                    data__trainingconfig__sequencelength = data__trainingconfig["sequence_length"]
                    if not isinstance(data__trainingconfig__sequencelength, (int)) and not (isinstance(data__trainingconfig__sequencelength, float) and data__trainingconfig__sequencelength.is_integer()) or isinstance(data__trainingconfig__sequencelength, bool):
                        raise JsonSchemaValueException('')
                    if isinstance(data__trainingconfig__sequencelength, (int, float, Decimal)) and not isinstance(data__trainingconfig__sequencelength, bool):
                        if data__trainingconfig__sequencelength < 1:
                            raise JsonSchemaValueException('')
    return data

def validate___definitions_metadata__evaluation_metrics(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict, NoneType)):
        raise JsonSchemaValueException('')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "accuracy" in data_keys:
            data_keys.remove("accuracy")
            data__accuracy = data["accuracy"]
            validate___definitions_metadata__score(data__accuracy, custom_formats, None)
        if "f1_score" in data_keys:
            data_keys.remove("f1_score")
            data__f1score = data["f1_score"]
            validate___definitions_metadata__score(data__f1score, custom_formats, None)
        if "perplexity" in data_keys:
            data_keys.remove("perplexity")
            data__perplexity = data["perplexity"]
            if not isinstance(data__perplexity, (int, float, Decimal)) or isinstance(data__perplexity, bool):
                raise JsonSchemaValueException('')
            if isinstance(data__perplexity, (int, float, Decimal)) and not isinstance(data__perplexity, bool):
                if data__perplexity < 1:
                    raise JsonSchemaValueException('')
        if "bleu" in data_keys:
            data_keys.remove("bleu")
            data__bleu = data["bleu"]
            if not isinstance(data__bleu, (int, float, Decimal)) or isinstance(data__bleu, bool):
                raise JsonSchemaValueException('')
            if isinstance(data__bleu, (int, float, Decimal)) and not isinstance(data__bleu, bool):
                if data__bleu < 0:
                    raise JsonSchemaValueException('')
                if data__bleu > 100:
                    raise JsonSchemaValueException('')
        if "rouge" in data_keys:
            data_keys.remove("rouge")
            data__rouge = data["rouge"]
            if not isinstance(data__rouge, (dict)):
                raise JsonSchemaValueException('')
            data__rouge_is_dict = isinstance(data__rouge, dict)
            if data__rouge_is_dict:
                data__rouge_len = len(data__rouge)
                if data__rouge_len < 1:
                    raise JsonSchemaValueException('')
                data__rouge_keys = set(data__rouge.keys())
                for data__rouge_key in data__rouge_keys:
                    if data__rouge_key not in []:
                        data__rouge_value = data__rouge.get(data__rouge_key)
                        validate___definitions_metadata__score(data__rouge_value, custom_formats, None)
                if data__rouge_len != 0:
                    data__rouge_property_names = True
                    for data__rouge_key in data__rouge:
                        try:
                            if isinstance(data__rouge_key, str):
                                if not REGEX_PATTERNS['^rouge[0-9A-Za-z]+$'].search(data__rouge_key):
                                    raise JsonSchemaValueException('')
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__rouge_property_names = False
                    if not data__rouge_property_names:
                        raise JsonSchemaValueException('')
        if "inference_speed_tokens_per_sec" in data_keys:
            data_keys.remove("inference_speed_tokens_per_sec")
            data__inferencespeedtokenspersec = data["inference_speed_tokens_per_sec"]
            validate___definitions_metadata__nonnegative(data__inferencespeedtokenspersec, custom_formats, None)
        if "memory_mb" in data_keys:
            data_keys.remove("memory_mb")
            data__memorymb = data["memory_mb"]
            validate___definitions_metadata__nonnegative(data__memorymb, custom_formats, None)
        if "latency_ms" in data_keys:
            data_keys.remove("latency_ms")
            data__latencyms = data["latency_ms"]
            validate___definitions_metadata__nonnegative(data__latencyms, custom_formats, None)
        if "custom" in data_keys:
            data_keys.remove("custom")
            data__custom = data["custom"]
            if not isinstance(data__custom, (dict)):
                raise JsonSchemaValueException('')
            data__custom_is_dict = isinstance(data__custom, dict)
            if data__custom_is_dict:
                data__custom_keys = set(data__custom.keys())
                for data__custom_key in data__custom_keys:
                    if data__custom_key not in []:
                        data__custom_value = data__custom.get(data__custom_key)
                        if not isinstance(data__custom_value, (int, float, Decimal)) or isinstance(data__custom_value, bool):
                            raise JsonSchemaValueException('')
                data__custom_len = len(data__custom)
                if data__custom_len != 0:
                    data__custom_property_names = True
                    for data__custom_key in data__custom:
                        try:
                            if isinstance(data__custom_key, str):
                                data__custom_key_len = len(data__custom_key)
                                if data__custom_key_len > 100:
                                    raise JsonSchemaValueException('')
                                if not REGEX_PATTERNS['^[A-Za-z0-9_.@/+-]+$'].search(data__custom_key):
                                    raise JsonSchemaValueException('')
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__custom_property_names = False
                    if not data__custom_property_names:
                        raise JsonSchemaValueException('')
        if data_keys:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_metadata__nonnegative(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int, float, Decimal)) or isinstance(data, bool):
        raise JsonSchemaValueException('')
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 0:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_metadata__score(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (int, float, Decimal)) or isinstance(data, bool):
        raise JsonSchemaValueException('')
    if isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        if data < 0:
            raise JsonSchemaValueException('')
        if data > 1:
            raise JsonSchemaValueException('')
    return data

def validate___definitions_metadata__dataset_ref(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException('')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['name']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException('')
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__name, str):
                data__name_len = len(data__name)
                if data__name_len < 1:
                    raise JsonSchemaValueException('')
        if "uri" in data_keys:
            data_keys.remove("uri")
            data__uri = data["uri"]
            if not isinstance(data__uri, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__uri, str):
                data__uri_len = len(data__uri)
                if data__uri_len < 1:
                    raise JsonSchemaValueException('')
        if "revision" in data_keys:
            data_keys.remove("revision")
            data__revision = data["revision"]
            if not isinstance(data__revision, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__revision, str):
                data__revision_len = len(data__revision)
                if data__revision_len < 1:
                    raise JsonSchemaValueException('')
        if "samples" in data_keys:
            data_keys.remove("samples")
            data__samples = data["samples"]
            if not isinstance(data__samples, (int)) and not (isinstance(data__samples, float) and data__samples.is_integer()) or isinstance(data__samples, bool):
                raise JsonSchemaValueException('')
            if isinstance(data__samples, (int, float, Decimal)) and not isinstance(data__samples, bool):
                if data__samples < 0:
                    raise JsonSchemaValueException('')
        if "artifact_id" in data_keys:
            data_keys.remove("artifact_id")
            data__artifactid = data["artifact_id"]
            if not isinstance(data__artifactid, (str)):
                raise JsonSchemaValueException('')
            if isinstance(data__artifactid, str):
                data__artifactid_len = len(data__artifactid)
                if data__artifactid_len < 1:
                    raise JsonSchemaValueException('')
        if data_keys:
            raise JsonSchemaValueException('')
    return data