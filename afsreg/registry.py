"""The registry: every model version file of a tree, checked and indexed.

registry = Registry.open()              # the working tree around the cwd
registry = Registry.open(rev="main~3")  # any commit, read with pygit2, no checkout
for version in registry: ...
registry.get("majora@v2"); registry.versions("majora")
registry.problems                        # every error and warning, located

Why ~410 lines in one module: the read model of a tree is its constructors
(open, open_model, at_commit, staged, with_changes, as of a time), the checks
with their cache, and the lookups, which share one index of versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from afsreg.checks.cross_file import cross_file_problems
from afsreg.checks.per_file import FileResult, check_files_parallel
from afsreg.errors import AfsregError, NotFoundError, ValidationError
from afsreg.format.paths import MODELS_DIR, is_model_path
from afsreg.format.record import ModelVersion
from afsreg.format.refs import Ref, VersionRef, parse_version_ref
from afsreg.format.schema import Schemas
from afsreg.format.versions import is_valid_name, version_key
from afsreg.git.cache import CheckCache
from afsreg.git.repo import resolve_root
from afsreg.git.sources import (
    SourceFile,
    git_blob_id,
    hidden_model_paths,
    index_files,
    rev_files,
    tree_files,
    working_tree_files,
)
from afsreg.problems import Problem

if TYPE_CHECKING:
    import pygit2

    from afsreg.git.asof import AsOf


class Registry:
    """Model versions read from one tree: the working tree, or a commit.

    A Registry is read-only. Writes are functions that take one and return a
    Change (afsreg.write.register, afsreg.write.lifecycle; exported by afsreg).

    Build one with ``open`` (working tree or a rev), ``at_commit``, ``staged``
    or ``with_changes``. ``save_cache=False`` builds a registry that never
    saves or prunes the check cache in ``.git/afsreg/``: it reads the ``cache``
    it is given (none when not given), so a partial or speculative registry
    cannot shrink the cache to its few files.
    """

    def __init__(
        self,
        root: Path,
        files: list[SourceFile],
        *,
        rev: str | None = None,
        commit_id: str | None = None,
        schemas: Schemas | None = None,
        save_cache: bool = True,
        cache: CheckCache | None = None,
    ) -> None:
        self.root = root
        self.rev = rev
        self.as_of: AsOf | None = None  # set by open(at=...)
        self.commit_id = commit_id
        self.schemas = schemas or Schemas.load(root)
        self.files = sorted(files, key=lambda f: f.path)
        self._save_cache = save_cache
        self._results = self._check_files(cache)
        self._versions: dict[str, ModelVersion] = {}  # by "name@version"
        for source in self.files:
            summary = self._results[source.path].summary
            if summary is not None:
                version = ModelVersion(source, summary)
                self._versions.setdefault(version.ref_text, version)
        self._ordered = sorted(
            self._versions.values(), key=lambda v: (v.name, _safe_key(v.version))
        )
        self._by_name: dict[str, list[ModelVersion]] = {}
        for v in self._ordered:
            self._by_name.setdefault(v.name, []).append(v)

    # -- construction -----------------------------------------------------

    @classmethod
    def open(
        cls, root: str | Path | None = None, rev: str | None = None, *, at: str | None = None
    ) -> Registry:
        """The registry at ``root`` (found from the current directory when None).

        With ``rev``, the files are read from that commit through pygit2;
        otherwise from the working tree. With ``at`` (a commit, a branch, or
        a date-time; see afsreg.git.asof), from the commit it names, a time
        being looked up on the first-parent line of ``rev`` (default HEAD);
        ``registry.as_of`` then says which commit that was.
        """
        resolved = resolve_root(root)
        if at is not None:
            return _as_of(resolved, at, rev, lambda commit: cls.open(resolved, rev=commit))
        schemas = Schemas.load(resolved)
        cache = CheckCache.load(resolved, schemas.digest)
        if rev is None:
            hidden = hidden_model_paths(resolved)
            if hidden:
                raise AfsregError(
                    f"{hidden[0]} and {len(hidden) - 1} other model file(s) are hidden by a "
                    "sparse checkout, so the working tree is not the whole registry; "
                    "run `git sparse-checkout add models`, or read a commit with --rev HEAD"
                    if len(hidden) > 1
                    else f"{hidden[0]} is hidden by a sparse checkout, so the working tree is "
                    "not the whole registry; run `git sparse-checkout add models`, "
                    "or read a commit with --rev HEAD"
                )
            before = dict(cache.stat)
            files = working_tree_files(resolved, cache.stat, cache.trusted_before_ns)
            if cache.stat.keys() != before.keys() or any(
                cache.stat[k] is not before[k] for k in before
            ):
                cache.dirty = True  # the stat cache learnt something: save it
            return cls(resolved, files, schemas=schemas, cache=cache)
        files, commit_id = rev_files(resolved, rev)
        return cls(resolved, files, rev=rev, commit_id=commit_id, schemas=schemas, cache=cache)

    @classmethod
    def open_model(
        cls,
        name: str,
        root: str | Path | None = None,
        rev: str | None = None,
        *,
        at: str | None = None,
    ) -> Registry:
        """Only the versions of one model (``models/NAME/``), read as ``open`` would.

        What resolving ``NAME@...`` needs, without reading the other models:
        on 10,000 versions it reads a folder instead of the tree. Cross-file
        rules see only this model, so validate with ``open``.
        """
        if not is_valid_name(name):
            raise NotFoundError(f"{name!r}: not a model name")
        resolved = resolve_root(root)
        if at is not None:
            return _as_of(resolved, at, rev, lambda commit: cls.open_model(name, resolved, commit))
        schemas = Schemas.load(resolved)
        cache = CheckCache.load(resolved, schemas.digest, enabled=False)
        folder = f"{MODELS_DIR}/{name}"
        if rev is None:
            files = working_tree_files(resolved, under=folder)
            return cls(resolved, files, schemas=schemas, cache=cache, save_cache=False)
        files, commit_id = rev_files(resolved, rev, under=folder)
        return cls(
            resolved,
            files,
            rev=rev,
            commit_id=commit_id,
            schemas=schemas,
            cache=cache,
            save_cache=False,
        )

    @classmethod
    def at_commit(
        cls, root: Path, repo: pygit2.Repository, commit: pygit2.Commit, rev: str
    ) -> Registry:
        """The registry in ``commit`` (already resolved from ``rev``) of ``repo`` at ``root``."""
        return cls(root, tree_files(repo, commit.tree), rev=rev, commit_id=str(commit.id))

    @classmethod
    def staged(cls, root: Path) -> Registry:
        """The registry as the git index holds it (what the next commit would contain)."""
        return cls(root, index_files(root))

    def with_changes(self, changes: Mapping[str, bytes | None]) -> Registry:
        """This registry with some files replaced, added (bytes) or removed (None)."""
        files = {f.path: f for f in self.files}
        for path, content in changes.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = SourceFile(path, content, git_blob_id(content))
        # Unchanged files keep the cached results already loaded; nothing is
        # saved for a change that may yet be refused.
        return Registry(
            self.root,
            list(files.values()),
            schemas=self.schemas,
            cache=self._cache,
            save_cache=False,
        )

    def _check_files(self, cache: CheckCache | None) -> dict[str, FileResult]:
        """Check every file, reusing cached results by blob id; misses run in parallel."""
        if cache is None:
            cache = CheckCache.load(self.root, self.schemas.digest, enabled=self._save_cache)
        self._cache = cache
        results: dict[str, FileResult] = {}
        misses: list[SourceFile] = []
        live: set[str] = set()
        for source in self.files:
            raw = None if source.is_special else cache.get(source.blob_id, source.path)
            if raw is not None:
                results[source.path] = FileResult.from_json(raw)
                live.add(f"{source.blob_id}:{source.path}")
            else:
                misses.append(source)
        for source, result in zip(misses, check_files_parallel(misses, self.schemas), strict=True):
            results[source.path] = result
            if not source.is_special:
                cache.put(source.blob_id, source.path, result.to_json())
                live.add(f"{source.blob_id}:{source.path}")
        self._live_keys = live
        if self._save_cache:
            cache.save(live)
        return results

    @property
    def check_cache(self) -> CheckCache:
        """The per-file check cache this registry was built with (shared, read-only, by --against)."""
        return self._cache

    # -- reading ----------------------------------------------------------

    def __iter__(self) -> Iterator[ModelVersion]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def __contains__(self, ref: object) -> bool:
        try:
            self.get(ref)  # type: ignore[arg-type]  # `in` may ask of any object; get() refuses it
        except (NotFoundError, ValueError):
            return False
        return True

    def get(self, ref: str | Ref | VersionRef) -> ModelVersion:
        """The version a reference names; NotFoundError when there is none.

        Any reference of afsreg.format.refs: ``majora@v2``, ``majora@latest``,
        ``majora@promoted``, ``majora@production``, ``models:/majora/2``.
        """
        if isinstance(ref, Ref):
            ref = VersionRef(ref.name, "version", ref.version)
        parsed = parse_version_ref(ref) if isinstance(ref, str) else ref
        found = self.find(parsed)
        if found is not None:
            return found
        if parsed.kind == "version" or not self.versions(parsed.name):
            version = parsed.value if parsed.kind == "version" else None
            broken = self.unreadable_file(parsed.name, version)
            if broken is not None:
                raise NotFoundError(unreadable_message(broken))
        known = [v.version for v in self.versions(parsed.name)]
        if not known:
            hint = f"no model named {parsed.name!r}"
            close = _close_matches(parsed.name, self.models())
            if close:
                hint += f"; did you mean {' or '.join(close)}?"
            raise NotFoundError(f"{parsed} is not in the registry ({hint})")
        if parsed.kind == "version":
            close = _close_matches(parsed.value, known)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise NotFoundError(
                f"{parsed} is not in the registry ({hint}versions: {', '.join(known)})"
            )
        if parsed.kind == "env":
            envs = self.environments(parsed.name)
            where = f"deployed in: {', '.join(envs)}" if envs else "deployed nowhere"
            raise NotFoundError(
                f"no version of {parsed.name} is deployed in {parsed.value} ({where})"
            )
        raise NotFoundError(f"{parsed.name} has no {parsed.kind} version")

    def find(self, ref: VersionRef) -> ModelVersion | None:
        """The version ``ref`` selects, or None."""
        if ref.kind == "latest":
            return self.latest(ref.name)
        if ref.kind == "promoted":
            return self.promoted(ref.name)
        if ref.kind == "env":
            return self.deployed(ref.name, ref.value)
        exact = self._versions.get(f"{ref.name}@{ref.value}")
        if exact is not None:
            return exact
        # v2, v2.0 and v2.0.0 are one version (only one of them may exist).
        key = _safe_key(ref.value)
        return next((v for v in self.versions(ref.name) if _safe_key(v.version) == key), None)

    def models(self) -> list[str]:
        """Every model name, sorted."""
        return sorted(self._by_name)

    def require_model(self, name: str) -> list[ModelVersion]:
        """The versions of ``name``; NotFoundError (with "did you mean") when there is no such model."""
        found = self.versions(name)
        if not found:
            close = _close_matches(name, self.models())
            hint = (
                f"did you mean {' or '.join(close)}?"
                if close
                else f"models: {', '.join(self.models()) or 'none'}"
            )
            raise NotFoundError(f"no model named {name!r} ({hint})")
        return found

    def prime(self, versions: Iterable[ModelVersion] | None = None) -> None:
        """Parse the files of ``versions`` (default: all) in one batch, through the parsed cache."""
        from afsreg.git.parsed import prime_data
        from afsreg.git.repo import git_dir

        prime_data(self._ordered if versions is None else versions, git_dir(self.root))

    def versions(self, name: str) -> list[ModelVersion]:
        """The versions of one model, oldest first in numeric order."""
        return list(self._by_name.get(name, []))

    def latest(self, name: str) -> ModelVersion | None:
        """The highest version of a model that is not a pre-release, else the highest."""
        versions = self.versions(name)
        releases = [v for v in versions if "-" not in v.version] or versions
        return releases[-1] if releases else None

    def promoted(self, name: str) -> ModelVersion | None:
        return next((v for v in self.versions(name) if v.promotion_state == "promoted"), None)

    def deployed(self, name: str, env: str) -> ModelVersion | None:
        """The version of ``name`` active in ``env`` (a deployment without undeployed_at)."""
        return next((v for v in self.versions(name) if env in v.active_envs), None)

    def environments(self, name: str | None = None) -> list[str]:
        """Every environment some version (of ``name``) is active in, sorted."""
        versions = self.versions(name) if name is not None else self._ordered
        return sorted({env for v in versions for env in v.active_envs})

    @cached_property
    def unreadable(self) -> list[Problem]:
        """One problem per model file that could not be read as a version (the first error).

        Such a file is left out of every view; read commands name it on stderr.
        """
        found = []
        for source in self.files:
            result = self._results[source.path]
            if result.summary is None and is_model_path(source.path):
                errors = [p for p in result.problems if p.severity == "error"]
                found.append(errors[0] if errors else Problem(source.path, 1, 1, "", "unreadable"))
        return found

    def unreadable_file(self, name: str, version: str | None = None) -> Problem | None:
        """The problem of a model file for ``name`` (and ``version``) that does not parse."""
        folder = f"models/{name}/"
        for problem in self.unreadable:
            if not problem.path.startswith(folder):
                continue
            stem = problem.path[len(folder) :].rsplit(".", 1)[0]
            if version is None or stem == version or _same_version(stem, version):
                return problem
        return None

    def file(self, path: str) -> SourceFile | None:
        return next((f for f in self.files if f.path == path), None)

    # -- validation -------------------------------------------------------

    @cached_property
    def file_problems(self) -> list[Problem]:
        """Problems each file has on its own (parse, schema, path, nulls, review flags)."""
        return [p for result in self._results.values() for p in result.problems]

    @cached_property
    def cross_file_problems(self) -> list[Problem]:
        """Problems that come from rules across files (see afsreg.checks.cross_file).

        They depend only on the set of (path, blob id) pairs, so the result
        is cached under a digest of that set: an unchanged registry is not
        checked again.
        """
        digest = hashlib.sha1(
            "\n".join(f"{f.path}:{f.blob_id}" for f in self.files).encode(), usedforsecurity=False
        ).hexdigest()
        key = f"cross:{digest}"
        cached = self._cache.entries.get(key)
        if cached is not None:
            return [Problem(*p) for p in cached]
        model_paths = [f.path for f in self.files if is_model_path(f.path)]
        found = cross_file_problems(self._ordered, model_paths)
        if self._save_cache:
            # Only the latest cross-file result is kept.
            for old in [k for k in self._cache.entries if k.startswith("cross:")]:
                del self._cache.entries[old]
            self._cache.entries[key] = [list(p.as_dict().values()) for p in found]
            self._cache.dirty = True
            self._cache.save({*self._live_keys, key})
        return found

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


def _as_of(
    root: Path, at: str, branch: str | None, open_commit: Callable[[str], Registry]
) -> Registry:
    """The registry ``open_commit`` reads at the commit ``--at`` names, with ``as_of`` set."""
    from afsreg.git.asof import resolve_at
    from afsreg.git.repo import open_repo

    found = resolve_at(open_repo(root), at, branch or "HEAD")
    registry = open_commit(found.commit)
    registry.as_of = found
    return registry


def _close_matches(word: str, choices: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, choices, n=3, cutoff=0.6)


def unreadable_message(problem: Problem) -> str:
    """``models/m/v1.yaml doesn't parse: 3:18: parameter_count: ...``"""
    where = f"{problem.line}:{problem.col}: {problem.field or '(file)'}"
    return f"{problem.path} doesn't parse: {where}: {problem.message}"


def _same_version(a: str, b: str) -> bool:
    try:
        return version_key(a) == version_key(b)
    except ValueError:
        return False


def _safe_key(version: str) -> object:
    try:
        return version_key(version)
    except ValueError:
        return ((1 << 62, 0, 0), 0, ())
