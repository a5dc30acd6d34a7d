"""``afsreg serve``: the catalogue's pages, a JSON API and an MLflow-compatible read API.

One process reads the registry at its repository's HEAD. Each request asks
the SnapshotCache for the snapshot of the current HEAD commit, so a new
commit (a merge, a pull) shows on the next request, without a restart; the
server never writes a registry file. FastAPI publishes the OpenAPI
description at /openapi.json (docs at /docs).
"""

from __future__ import annotations

import pathlib
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel

from afsreg.errors import NotFoundError
from afsreg.format.refs import RefError
from afsreg.read.resolve import resolve
from afsreg.read.search import SearchSyntaxError
from afsreg.version import __version__
from afsreg.web import api, mlflow, pages
from afsreg.web.snapshot import SnapshotCache

MLFLOW = "/api/2.0/mlflow"


class Problem(BaseModel):
    detail: str


class ModelRow(BaseModel):
    name: str
    versions: int
    latest: str | None
    promoted: str | None
    deployed: dict[str, str]  # env -> version
    framework: str | None
    state: str | None
    metrics: dict[str, float] | None = None


class VersionRow(BaseModel):
    version: str
    title: str | None
    promotion: str
    status: str | None
    parent: str | None
    base_models: list[str]
    deployed: list[str]
    review_flags: int
    artifact_id: str
    metrics: dict[str, float] | None = None


class ModelDetail(ModelRow):
    version_rows: list[VersionRow]


class SearchRow(VersionRow):
    ref: str


class Resolved(BaseModel):
    ref: str
    resolved: str
    path: str
    commit: str


class Health(BaseModel):
    commit: str
    versions: int
    afsreg: str


class LatestVersionsRequest(BaseModel):
    name: str
    stages: list[str] = []


class MlflowErrorBody(BaseModel):
    error_code: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "malformed reference"},
    404: {"model": Problem, "description": "no such model or version"},
}
MLFLOW_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": MlflowErrorBody, "description": "INVALID_PARAMETER_VALUE"},
    404: {"model": MlflowErrorBody, "description": "RESOURCE_DOES_NOT_EXIST"},
    422: {"model": MlflowErrorBody, "description": "INVALID_PARAMETER_VALUE"},
}
NAME_PATTERN = "^[a-z0-9][a-z0-9._-]{0,99}$"
REF_PATTERN = "^[a-z0-9][a-z0-9._-]{0,99}@[^/]{1,100}$"
Name = Annotated[str, Query(max_length=200, description="registered model name")]
Ref = Annotated[
    str,
    Query(pattern=REF_PATTERN, description="NAME@VERSION, NAME@latest, NAME@promoted, NAME@ENV"),
]
ModelName = Annotated[str, Path(pattern=NAME_PATTERN, description="model name")]
PathRef = Annotated[
    str, Path(pattern=REF_PATTERN, description="NAME@VERSION, NAME@latest, NAME@promoted, NAME@ENV")
]
Number = Annotated[str, Query(pattern="^[0-9]{1,9}$", description="MLflow version number")]


def search_request(
    filter: Annotated[str | None, Query(max_length=1000)] = None,
    max_results: Annotated[int | None, Query(ge=1)] = None,
    order_by: Annotated[list[str] | None, Query()] = None,
    page_token: Annotated[str | None, Query(max_length=40)] = None,
) -> mlflow.SearchRequest:
    """The query of both MLflow searches; each checks its own page size (afsreg.web.mlflow)."""
    return mlflow.SearchRequest(filter, max_results, tuple(order_by or ()), page_token)


Search = Annotated[mlflow.SearchRequest, Depends(search_request)]


def create_app(root: pathlib.Path) -> FastAPI:
    snapshots = SnapshotCache(root)
    app = FastAPI(
        title="afsreg",
        version=__version__,
        description="A git-native model registry, read-only over HTTP: pages, a JSON API, "
        "and the read part of MLflow's Model Registry REST API. Changes go through pull requests.",
    )

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        if request.url.path.startswith(MLFLOW):
            return JSONResponse(mlflow.missing(str(exc)).body(), status_code=404)
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(SearchSyntaxError)
    async def bad_search(request: Request, exc: SearchSyntaxError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RefError)
    async def bad_ref(request: Request, exc: RefError) -> JSONResponse:
        if request.url.path.startswith(MLFLOW):
            return JSONResponse(mlflow.invalid(str(exc)).body(), status_code=400)
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(mlflow.MlflowError)
    async def mlflow_error(request: Request, exc: mlflow.MlflowError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        if request.url.path.startswith(MLFLOW):
            return JSONResponse(mlflow.invalid(message).body(), status_code=422)
        return JSONResponse({"detail": message}, status_code=422)

    # -- pages ------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return HTMLResponse(pages.render_index(snapshots.current()))

    @app.get("/index.html", include_in_schema=False)
    def index_page() -> Response:
        return HTMLResponse(pages.render_index(snapshots.current()))

    @app.get("/static/{asset}", include_in_schema=False)
    def static(asset: str) -> Response:
        try:
            content = pages.static_file(asset)
        except KeyError:
            raise NotFoundError(f"/static/{asset}: no such file") from None
        media = "text/css" if asset.endswith(".css") else "text/javascript"
        return Response(content, media_type=media, headers={"Cache-Control": "max-age=300"})

    @app.get("/models/{name}", include_in_schema=False)
    def model_redirect(name: str) -> Response:
        return RedirectResponse(f"{name}/index.html")  # relative: works under a URL prefix

    @app.get("/models/{name}/", include_in_schema=False)
    @app.get("/models/{name}/index.html", include_in_schema=False)
    def model_page(name: str) -> Response:
        return HTMLResponse(pages.render_model(snapshots.current(), name))

    @app.get("/models/{name}/{page}", include_in_schema=False)
    def version_page(name: str, page: str) -> Response:
        snapshot = snapshots.current()
        if page.endswith(".card.md"):
            v = resolve(snapshot.registry, f"{name}@{page[: -len('.card.md')]}").version
            return PlainTextResponse(snapshot.card(v).text(), media_type="text/markdown")
        if not page.endswith(".html"):
            raise NotFoundError(f"/models/{name}/{page}: no such page")
        v = resolve(snapshot.registry, f"{name}@{page[: -len('.html')]}").version
        return HTMLResponse(pages.render_version(snapshot, v))

    # -- JSON API ---------------------------------------------------------

    @app.get("/api/health", response_model=Health, tags=["afsreg"])
    def health() -> dict[str, Any]:
        """The commit being served and how many versions it has."""
        return {**snapshots.describe(), "afsreg": __version__}

    @app.get("/api/models", response_model=list[ModelRow], tags=["afsreg"])
    def list_models() -> list[dict[str, Any]]:
        """A row per model (as `afsreg list`)."""
        return api.models(snapshots.current())

    @app.get("/api/models/{name}", response_model=ModelDetail, responses=ERRORS, tags=["afsreg"])
    def get_model(name: ModelName) -> dict[str, Any]:
        """One model and a row per version (as `afsreg versions`)."""
        return api.model(snapshots.current(), name)

    @app.get(
        "/api/versions/{ref}", response_model=dict[str, Any], responses=ERRORS, tags=["afsreg"]
    )
    def get_version(ref: PathRef) -> dict[str, Any]:
        """Everything about one version (as `afsreg show`)."""
        return api.version(snapshots.current(), ref)

    @app.get("/api/resolve", response_model=Resolved, responses=ERRORS, tags=["afsreg"])
    def resolve_ref(ref: Ref) -> dict[str, Any]:
        """Which version a reference names at the served commit."""
        return api.resolved(snapshots.current(), ref)

    @app.get("/api/search", response_model=list[SearchRow], responses=ERRORS, tags=["afsreg"])
    def search(q: Annotated[str, Query(max_length=500)] = "") -> list[dict[str, Any]]:
        """Versions matching the `afsreg search` expression `q` (all when empty).

        e.g. `promotion = 'promoted' AND metrics.accuracy > 0.8`; 400 when it does not parse.
        """
        return api.search_rows(snapshots.current(), q)

    @app.get(
        "/api/lineage/{ref}",
        response_model=list[dict[str, Any]],
        responses=ERRORS,
        tags=["afsreg"],
    )
    def lineage(
        ref: PathRef, direction: Annotated[str, Query(pattern="^(up|down)$")] = "up"
    ) -> Any:
        """Ancestors (`up`) or descendants (`down`), nearest first (as `afsreg lineage`)."""
        return api.lineage(snapshots.current(), ref, direction)

    @app.get(
        "/api/history/{ref}",
        response_model=list[dict[str, Any]],
        responses=ERRORS,
        tags=["afsreg"],
    )
    def history(ref: PathRef) -> Any:
        """The git history of the version's file, newest first (as `afsreg log`)."""
        return api.history(snapshots.current(), ref)

    # -- MLflow Model Registry (read) ----------------------------------------

    @app.get(f"{MLFLOW}/registered-models/get", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_get_model(name: Name) -> dict[str, Any]:
        return {"registered_model": mlflow.registered_model(snapshots.current(), name)}

    @app.get(f"{MLFLOW}/registered-models/search", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_search_models(search: Search) -> dict[str, Any]:
        """MLflow's ``max_results`` here: 1 to 1000, default 100."""
        return mlflow.search_models(snapshots.current(), search)

    @app.post(
        f"{MLFLOW}/registered-models/get-latest-versions", responses=MLFLOW_ERRORS, tags=["mlflow"]
    )
    def mlflow_latest_versions(body: LatestVersionsRequest) -> dict[str, Any]:
        snapshot = snapshots.current()
        mlflow.registered_model(snapshot, body.name)  # RESOURCE_DOES_NOT_EXIST when absent
        return {"model_versions": mlflow.latest_versions(snapshot, body.name, body.stages)}

    @app.get(f"{MLFLOW}/registered-models/get-latest-versions", include_in_schema=False)
    def mlflow_latest_versions_get(
        name: Name, stages: Annotated[list[str] | None, Query()] = None
    ) -> dict[str, Any]:
        return mlflow_latest_versions(LatestVersionsRequest(name=name, stages=stages or []))

    @app.get(f"{MLFLOW}/registered-models/alias", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_alias(name: Name, alias: Annotated[str, Query(max_length=200)]) -> dict[str, Any]:
        return {"model_version": mlflow.by_alias(snapshots.current(), name, alias)}

    @app.get(f"{MLFLOW}/model-versions/get", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_get_version(name: Name, version: Number) -> dict[str, Any]:
        snapshot = snapshots.current()
        number, v = mlflow.by_number(snapshot, name, version)
        return {"model_version": mlflow.model_version(snapshot, number, v)}

    @app.get(f"{MLFLOW}/model-versions/search", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_search_versions(search: Search) -> dict[str, Any]:
        """MLflow's ``max_results`` here: 1 to 200,000, default 10,000."""
        return mlflow.search_versions(snapshots.current(), search)

    @app.get(f"{MLFLOW}/model-versions/get-download-uri", responses=MLFLOW_ERRORS, tags=["mlflow"])
    def mlflow_download_uri(name: Name, version: Number) -> dict[str, Any]:
        snapshot = snapshots.current()
        _, v = mlflow.by_number(snapshot, name, version)
        uri = mlflow.download_uri(v)
        if uri is None:
            raise mlflow.missing(f"{v.ref_text} records no files and no source URL")
        return {"artifact_uri": uri}

    @app.api_route(
        f"{MLFLOW}/{{path:path}}",
        methods=["POST", "PATCH", "DELETE", "PUT"],
        include_in_schema=False,
    )
    def mlflow_write(path: str) -> Response:
        raise mlflow.read_only(path)

    @app.get(f"{MLFLOW}/{{path:path}}", include_in_schema=False)
    def mlflow_other(path: str) -> Response:
        raise mlflow.MlflowError(
            "ENDPOINT_NOT_FOUND",
            f"{MLFLOW}/{path}: afsreg serves the read part of MLflow's Model Registry API "
            "(registered-models/get, search, get-latest-versions, alias; model-versions/get, "
            "search, get-download-uri); experiments and runs are not kept here",
            404,
        )

    return app
