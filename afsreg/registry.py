"""The registry: every model version file of a tree, checked and indexed.

registry = Registry.open()              # the working tree around the cwd
registry = Registry.open(rev="main~3")  # any commit, read with pygit2, no checkout
for version in registry: ...
registry.get("majora@v2"); registry.versions("majora")
registry.problems                        # every error and warning, located
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path

from afsreg import cache
from afsreg.check import FileResult, check_file
from afsreg.errors import NotFoundError, ValidationError
from afsreg.gitutil import find_root
from afsreg.problems import Problem
from afsreg.records import ModelVersion
from afsreg.refs import Ref, parse_ref
from afsreg.rules import cross_file_problems
from afsreg.schema import Schemas
from afsreg.sources import SourceFile, git_blob_id, is_model_path, rev_files, working_tree_files
from afsreg.versions import version_key


class Registry:
    """Model versions read from one tree: the working tree, or a commit."""

    def __init__(
        self,
        root: Path,
        files: list[SourceFile],
        *,
        rev: str | None = None,
        commit_id: str | None = None,
        schemas: Schemas | None = None,
        use_cache: bool = True,
    ) -> None:
        self.root = root
        self.rev = rev
        self.commit_id = commit_id
        self.schemas = schemas or Schemas.load(root)
        self.files = sorted(files, key=lambda f: f.path)
        self._use_cache = use_cache
        self._results = self._check_files()
        self._versions: dict[Ref, ModelVersion] = {}
        for source in self.files:
            summary = self._results[source.path].summary
            if summary is not None:
                version = ModelVersion(source.path, source.content, source.blob_id, summary)
                self._versions.setdefault(version.ref, version)
        self._ordered = sorted(
            self._versions.values(), key=lambda v: (v.name, _safe_key(v.version))
        )

    # -- construction -----------------------------------------------------

    @classmethod
    def open(cls, root: str | Path | None = None, rev: str | None = None) -> Registry:
        """The registry at ``root`` (found from the current directory when None).

        With ``rev``, the files are read from that commit through pygit2;
        otherwise from the working tree.
        """
        resolved = find_root(root) if root is None else Path(root).resolve()
        if rev is None:
            return cls(resolved, working_tree_files(resolved))
        files, commit_id = rev_files(resolved, rev)
        return cls(resolved, files, rev=rev, commit_id=commit_id)

    def with_changes(self, changes: Mapping[str, bytes | None]) -> Registry:
        """This registry with some files replaced, added (bytes) or removed (None)."""
        files = {f.path: f for f in self.files}
        for path, content in changes.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = SourceFile(path, content, git_blob_id(content))
        return Registry(
            self.root, list(files.values()), schemas=self.schemas, use_cache=self._use_cache
        )

    def _check_files(self) -> dict[str, FileResult]:
        cached = cache.load(self.root, self.schemas.digest) if self._use_cache else {}
        results: dict[str, FileResult] = {}
        fresh: dict[str, object] = {}
        for source in self.files:
            key = cache.entry_key(source.blob_id, source.path)
            raw = cached.get(key)
            if raw is not None and not source.is_symlink:
                results[source.path] = FileResult.from_json(raw)
                fresh[key] = raw
                continue
            result = check_file(source, self.schemas)
            results[source.path] = result
            if not source.is_symlink:
                fresh[key] = result.to_json()
        if self._use_cache and len(fresh) > len(set(fresh) & set(cached)):
            keep = cached if len(cached) < 2 * len(fresh) + 1000 else {}
            cache.save(self.root, self.schemas.digest, {**keep, **fresh})
        return results

    # -- reading ----------------------------------------------------------

    def __iter__(self) -> Iterator[ModelVersion]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def __contains__(self, ref: object) -> bool:
        try:
            self.get(ref)  # type: ignore[arg-type]
        except (NotFoundError, ValueError):
            return False
        return True

    def get(self, ref: str | Ref) -> ModelVersion:
        """The version ``name@version``; NotFoundError when there is none."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        try:
            return self._versions[parsed]
        except KeyError:
            known = [v.version for v in self.versions(parsed.name)]
            hint = (
                f" (versions: {', '.join(known)})"
                if known
                else f" (no model named {parsed.name!r})"
            )
            raise NotFoundError(f"{parsed} is not in the registry{hint}") from None

    def models(self) -> list[str]:
        """Every model name, sorted."""
        return sorted({v.name for v in self._ordered})

    def versions(self, name: str) -> list[ModelVersion]:
        """The versions of one model, oldest first in numeric order."""
        return [v for v in self._ordered if v.name == name]

    def latest(self, name: str) -> ModelVersion | None:
        """The highest version of a model that is not a pre-release, else the highest."""
        versions = self.versions(name)
        releases = [v for v in versions if "-" not in v.version] or versions
        return releases[-1] if releases else None

    def promoted(self, name: str) -> ModelVersion | None:
        return next((v for v in self.versions(name) if v.promotion_state == "promoted"), None)

    def file(self, path: str) -> SourceFile | None:
        return next((f for f in self.files if f.path == path), None)

    # -- validation -------------------------------------------------------

    @cached_property
    def file_problems(self) -> list[Problem]:
        """Problems each file has on its own (parse, schema, path, nulls, review flags)."""
        return [p for result in self._results.values() for p in result.problems]

    @cached_property
    def cross_file_problems(self) -> list[Problem]:
        """Problems that come from rules across files (see afsreg.rules)."""
        model_paths = [f.path for f in self.files if is_model_path(f.path)]
        return cross_file_problems(self._ordered, model_paths)

    @cached_property
    def problems(self) -> list[Problem]:
        """Every problem in every file, errors and warnings, sorted by place."""
        found = set(self.file_problems) | set(self.cross_file_problems)
        return sorted(found, key=lambda p: (p.path, p.line, p.col, p.field, p.message))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def check(self) -> None:
        """Raise ValidationError naming every error, if there is any."""
        if self.errors:
            raise ValidationError(
                self.errors, summary=f"{len(self.errors)} problem(s) in the registry:"
            )


def _safe_key(version: str) -> object:
    try:
        return version_key(version)
    except ValueError:
        return ((1 << 62, 0, 0), 0, ())
