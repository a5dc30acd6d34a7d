"""The registry: every model version file of a tree, checked and indexed.

registry = Registry.open()              # the working tree around the cwd
registry = Registry.open(rev="main~3")  # any commit, read with pygit2, no checkout
for version in registry: ...
registry.get("majora@v2"); registry.versions("majora")
registry.problems                        # every error and warning, located

How it stays cheap on a large registry: a registry read from git (a commit,
the index, a working tree compared with the index) is described by the tree
ids of its model folders (afsreg.git.objects.Folders) and read lazily.
``problems`` is answered from the store (afsreg.git.store) by the digest of
those ids; on a miss, only folders missing from the store are listed and
checked (their files' own problems and the rules inside one model), and the
rules across models run over compact facts of every version (``_Fact``).
``versions(name)`` and ``get()`` read one folder. ``models()`` and
``unreadable`` read a small outline per folder. What a listing needs of every
model (a ``list`` row, a search's column of one field, deployment records)
is ``per_model()``: a value computed from one folder's versions alone, stored
by the folder's tree id and read back by key, a batch of models at a time.
Anything else that needs every version (iteration) reads them all, still
from the store.

Why ~1,200 lines in one module: the read model of a tree is its constructors
(open, open_model, at_commit, staged, with_changes, as of a time), the checks
with their caches (per blob, per folder, per registry), the values per model
folder, and the lookups, which share one index of versions; split, each part
would reach into the others' private state.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from afsreg.errors import AfsregError, NotFoundError, ValidationError
from afsreg.format.paths import MODELS_DIR, is_model_path, model_path
from afsreg.format.record import ModelVersion, summary_from_json, summary_to_json
from afsreg.format.refs import Ref, VersionRef, parse_version_ref
from afsreg.format.schema import Schemas
from afsreg.format.versions import is_valid_name, version_key
from afsreg.git.cache import CheckCache
from afsreg.git.objects import (
    Folders,
    Read,
    folder_key,
    index_folders,
    model_folders,
    tree_folders,
    worktree_folders,
)
from afsreg.git.repo import open_repo, resolve_commit, resolve_root
from afsreg.git.sources import (
    SourceFile,
    git_blob_id,
    hidden_model_paths,
    index_files,
    read_regular_file,
    rev_files,
    tree_files,
    working_tree_files,
)
from afsreg.problems import BySeverity, Problem

if TYPE_CHECKING:
    # Imported where used: a warm read answers from the store by tree ids, and
    # needs neither pygit2 nor the checks (the YAML loader, the schema check).
    import pygit2

    from afsreg.checks.per_file import FileResult
    from afsreg.git.asof import AsOf


class Registry(BySeverity):
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
        files: list[SourceFile] | None,
        *,
        rev: str | None = None,
        commit_id: str | None = None,
        schemas: Schemas | None = None,
        save_cache: bool = True,
        cache: CheckCache | None = None,
        folders: Folders | None = None,
    ) -> None:
        self.root = root
        self.rev = rev
        self.as_of: AsOf | None = None  # set by open(at=...)
        self.commit_id = commit_id
        self.schemas = schemas or Schemas.load(root)
        self._given = files
        self._folders = folders if files is None else None
        self._save_cache = save_cache
        if cache is None:
            cache = CheckCache.load(root, self.schemas.digest, enabled=save_cache)
        self._cache = cache

    @cached_property
    def files(self) -> list[SourceFile]:
        """Every file of the tree under models/, sorted by path (listed on first use)."""
        if self._given is not None:
            return sorted(self._given, key=lambda f: f.path)
        assert self._folders is not None
        listings = self._listings(sorted(self._folders.keys))
        return sorted((f for files in listings.values() for f in files), key=lambda f: f.path)

    @cached_property
    def _results(self) -> dict[str, FileResult]:
        results = self._check_files(self.files)
        self._save()
        return results

    @cached_property
    def _versions(self) -> dict[str, ModelVersion]:
        """Every version by "name@version" (the first file by path wins a clash)."""
        versions: dict[str, ModelVersion] = {}
        for source in self.files:
            summary = self._results[source.path].summary
            if summary is not None:
                version = ModelVersion(source, summary)
                versions.setdefault(version.ref_text, version)
        return versions

    @cached_property
    def _ordered(self) -> list[ModelVersion]:
        return sorted(self._versions.values(), key=lambda v: (v.name, _safe_key(v.version)))

    @cached_property
    def _by_name(self) -> dict[str, list[ModelVersion]]:
        by_name: dict[str, list[ModelVersion]] = {}
        for v in self._ordered:
            by_name.setdefault(v.name, []).append(v)
        return by_name

    def read_at(self) -> dict[str, object]:
        """Where this registry was read (afsreg.git.asof.read_at), as answers report it."""
        from afsreg.git.asof import read_at

        return read_at(self.rev, self.commit_id, self.as_of)

    def _materialized(self) -> bool:
        return self._folders is None or "_by_name" in self.__dict__

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
            folders = worktree_folders(resolved)
            if folders is not None:
                return cls(resolved, None, schemas=schemas, cache=cache, folders=folders)
            before = dict(cache.stat)
            files = working_tree_files(resolved, cache.stat, cache.trusted_before_ns)
            if cache.stat.keys() != before.keys() or any(
                cache.stat[k] is not before[k] for k in before
            ):
                cache.dirty = True  # the stat cache learnt something: save it
            return cls(resolved, files, schemas=schemas, cache=cache)
        repo = open_repo(resolved)
        commit = resolve_commit(repo, rev)
        return cls.at_commit(resolved, repo, commit, rev, schemas=schemas, cache=cache)

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
        folder = f"{MODELS_DIR}/{name}"
        if rev is None:
            # Keyed by a digest of its files, as a changed folder of the working
            # tree is (worktree_folders): the folder's versions are read back by
            # key from the store, no file is checked or parsed again.
            files = working_tree_files(resolved, under=folder)
            by_path = {f.path: f for f in files}

            def read(path: str, blob: str) -> bytes:
                found = by_path.get(path)
                if found is not None and found.blob_id == blob:
                    return found.content
                return read_regular_file(str(resolved / path))

            folders = Folders(
                {name: folder_key(files)} if files else {},
                lambda listed: files if listed == name else [],
                read,
            )
            cache = CheckCache.load(resolved, schemas.digest)
            return cls(resolved, None, schemas=schemas, cache=cache, folders=folders)
        cache = CheckCache.load(resolved, schemas.digest, enabled=False)
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
        cls,
        root: Path,
        repo: pygit2.Repository,
        commit: pygit2.Commit,
        rev: str,
        *,
        schemas: Schemas | None = None,
        cache: CheckCache | None = None,
    ) -> Registry:
        """The registry in ``commit`` (already resolved from ``rev``) of ``repo`` at ``root``.

        Nothing is read up front: ``problems`` is answered from the cache by
        the tree ids of the model folders, ``versions(name)`` reads one folder.
        """
        commit_id = str(commit.id)
        folders = tree_folders(root, repo, commit.tree)
        if folders is None:
            files = tree_files(repo, commit.tree)
            return cls(root, files, rev=rev, commit_id=commit_id, schemas=schemas, cache=cache)
        return cls(
            root, None, rev=rev, commit_id=commit_id, schemas=schemas, cache=cache, folders=folders
        )

    @classmethod
    def staged(cls, root: Path) -> Registry:
        """The registry as the git index holds it (what the next commit would contain)."""
        folders = index_folders(root)
        if folders is None:
            return cls(root, index_files(root))
        return cls(root, None, folders=folders)

    def with_changes(self, changes: Mapping[str, bytes | None]) -> Registry:
        """This registry with some files replaced, added (bytes) or removed (None).

        On a registry read by folders, only the folders the changes touch are
        listed; the rest keep their keys, so their cached results are reused.
        """
        touched = _touched_folders(changes)
        if self._folders is not None and touched is not None:
            return self._with_folder_changes(changes, touched)
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

    def _with_folder_changes(
        self, changes: Mapping[str, bytes | None], touched: set[str]
    ) -> Registry:
        assert self._folders is not None
        base = self._folders
        keys = dict(base.keys)
        listings: dict[str, list[SourceFile]] = {}
        before = self.folder_files(sorted(touched))
        new: dict[str, SourceFile] = {}
        for name in touched:
            prefix = f"{MODELS_DIR}/{name}/"
            files = {f.path: f for f in before if f.path.startswith(prefix)}
            for path, content in changes.items():
                if not path.startswith(prefix):
                    continue
                if content is None:
                    files.pop(path, None)
                else:
                    files[path] = new[path] = SourceFile(path, content, git_blob_id(content))
            listing = sorted(files.values(), key=lambda f: f.path)
            if not listing:
                keys.pop(name, None)
                continue
            keys[name] = folder_key(listing)
            listings[name] = listing

        def listing_of(name: str) -> list[SourceFile]:
            return listings[name] if name in listings else base.listing(name)

        def read(path: str, blob: str) -> bytes:
            source = new.get(path)
            if source is not None and source.blob_id == blob:
                return source.content
            return base.read(path, blob)

        # Nothing is saved for a change that may yet be refused.
        return Registry(
            self.root,
            None,
            schemas=self.schemas,
            cache=self._cache,
            save_cache=False,
            folders=Folders(keys, listing_of, read),
        )

    def _check_files(self, files: list[SourceFile]) -> dict[str, FileResult]:
        """Check files, reusing cached results by blob id; misses run in parallel."""
        from afsreg.checks.per_file import FileResult, check_files_encoded

        cached = self._cache.get_many((s.blob_id, s.path) for s in files if not s.is_special)
        results: dict[str, FileResult] = {}
        misses: list[SourceFile] = []
        for source in files:
            raw = None if source.is_special else cached.get((source.blob_id, source.path))
            if raw is not None:
                results[source.path] = FileResult.from_json(raw)
            else:
                misses.append(source)
        checked = check_files_encoded(misses, self.schemas)
        for source, (result, text) in zip(misses, checked, strict=True):
            results[source.path] = result
            if not source.is_special:
                self._cache.put(source.blob_id, source.path, text)
        return results

    def _save(self) -> None:
        if self._save_cache:
            self._cache.save()

    # -- the model folders, cached by tree id ------------------------------

    def _model_entries(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """What is cached about each named folder: its versions' facts and problems.

        Missing folders are listed and checked in batches (the files of a
        batch in one parallel run), each batch written to the store as it is
        done, so a cold 100,000-version registry never holds every result.
        """
        assert self._folders is not None
        keys = {name: f"{self._cache.key}:{self._folders.keys[name]}" for name in names}
        found = self._cache.store.get_many("model", keys.values())
        entries = {name: found[key] for name, key in keys.items() if key in found}
        missing = [name for name in names if name not in entries]
        batch: dict[str, list[SourceFile]] = {}
        size = 0
        for index, name in enumerate(missing):
            files = self._folders.listing(name)
            batch[name] = files
            size += len(files)
            if size >= _BATCH_FILES or index == len(missing) - 1:
                results = self._check_files([f for files in batch.values() for f in files])
                for done, done_files in batch.items():
                    entries[done] = self._model_entry(done, done_files, results)
                    self._cache.store.put("model", keys[done], entries[done])
                if len(missing) > 1:
                    self._save()  # free what is written before the next batch
                batch, size = {}, 0
        return entries

    def _model_entry(
        self, name: str, files: list[SourceFile], results: dict[str, FileResult]
    ) -> dict[str, Any]:
        """One model folder checked on its own: its files, and the rules inside the model."""
        assert self._folders is not None
        versions = self._build_versions(files, results)
        key = f"{self._cache.key}:{self._folders.keys[name]}"
        self._cache.store.put("folder", key, [[f.path, f.blob_id, f.special] for f in files])
        return {
            "files": len(files),
            "facts": [
                [v.path, v.blob_id, v.version, v.artifact_id, v.parent, v.base_refs]
                for v in versions
            ],
            "file": [_packed(p) for f in files for p in results[f.path].problems],
            "local": [_packed(p) for p in _model_problems(versions)],
            "case": [f.path for f in files if is_model_path(f.path)],
        }

    def _listings(self, names: list[str]) -> dict[str, list[SourceFile]]:
        """The files of each named folder, from the cache by tree id (listed when missing)."""
        assert self._folders is not None
        folders = self._folders
        keys = {name: f"{self._cache.key}:{folders.keys[name]}" for name in names}
        found = self._cache.store.get_many("folder", keys.values())
        listings = {}
        for name, key in keys.items():
            rows = found.get(key)
            if rows is None:
                rows = [[f.path, f.blob_id, f.special] for f in folders.listing(name)]
                self._cache.store.put("folder", key, rows)
            listings[name] = [
                SourceFile(path, b"", blob, special=special)
                if special
                else SourceFile(path, None, blob, load=Read(folders.read, path, blob))
                for path, blob, special in rows
            ]
        return listings

    @staticmethod
    def _build_versions(
        files: list[SourceFile], results: dict[str, FileResult]
    ) -> list[ModelVersion]:
        versions: dict[str, ModelVersion] = {}
        for source in sorted(files, key=lambda f: f.path):
            summary = results[source.path].summary
            if summary is not None:
                version = ModelVersion(source, summary)
                versions.setdefault(version.ref_text, version)
        return sorted(versions.values(), key=lambda v: (v.name, _safe_key(v.version)))

    @cached_property
    def _loaded(self) -> dict[str, list[ModelVersion]]:
        """Versions of the folders read one by one (``versions(name)`` before a full read)."""
        return {}

    def _model_versions(self, name: str) -> list[ModelVersion]:
        assert self._folders is not None
        if name not in self._folders.keys:
            return []
        if name not in self._loaded:
            # One stored entry per folder (see _folder_versions), not a result per file.
            self._loaded[name] = next(self._folder_versions([name]))[name]
        return self._loaded[name]

    def changed_folders(self, repo: pygit2.Repository, tree: pygit2.Tree) -> list[str] | None:
        """Model folders whose files may differ from ``tree``'s (None: unknown, compare all).

        Told apart by tree id, so a pre-commit run reads only the folders a
        commit touches; a folder with working-tree changes always counts.
        """
        if self._folders is None:
            return None
        return self.changed_from(model_folders(repo, tree))

    def changed_from(self, other: Mapping[str, str] | None) -> list[str] | None:
        """``changed_folders`` against a tree's ``model_folders`` (None: unknown, compare all)."""
        if self._folders is None or other is None:
            return None
        mine = self._folders.keys
        return sorted(
            name
            for name in mine.keys() | other.keys()
            if name not in mine or name not in other or mine[name][2:] != other[name]
        )

    def folder_files(self, names: Iterable[str]) -> list[SourceFile]:
        """The files of these model folders (every file when the registry has no folders)."""
        if self._folders is None:
            return list(self.files)
        wanted = [n for n in names if n in self._folders.keys]
        listings = self._listings(wanted)
        self._save()
        return [f for name in wanted for f in listings[name]]

    # -- answers per model, cached by the folder's tree id (listings) -------

    def per_model(
        self, computes: Mapping[str, ModelValues], names: Iterable[str] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(name, {kind: value})`` for every model (or each of ``names`` that is one), in name order.

        ``computes[kind]`` takes a batch of models (name -> versions, in
        version order) and returns a JSON-able value per model, computed from
        those versions' files alone: so a value is stored by the folder's key
        (its tree id; kind ``per-model:<kind>``) and read back by key, and a
        folder whose tree id changed is a new key, never a stale answer (the
        key also names the afsreg version and the schemas; a caller renames
        its kind when what it computes changes). Values come back as JSON
        reads them back, stored or not (cold equals warm).
        Models are read a batch at a time, so a caller can stream 100,000
        versions; only folders missing from the store are listed and computed.
        """
        wanted = self.models() if names is None else sorted(set(names) & set(self.models()))
        for start in range(0, len(wanted), _VALUES_BATCH):
            chunk = wanted[start : start + _VALUES_BATCH]
            found = self._values(chunk, computes)
            for name in chunk:
                yield name, {kind: found[kind][name] for kind in computes}

    def _values(
        self, names: list[str], computes: Mapping[str, ModelValues]
    ) -> dict[str, dict[str, Any]]:
        """kind -> name -> value for ``names``: from the store, computing the missing ones."""
        if self._folders is None:
            batch = {name: self.versions(name) for name in names}
            return {kind: _as_read(compute(batch))[0] for kind, compute in computes.items()}
        store = self._cache.store
        keys = {name: f"{self._cache.key}:{self._folders.keys[name]}" for name in names}
        found: dict[str, dict[str, Any]] = {}
        with _collector_paused():
            for kind in computes:
                stored = store.get_many(f"per-model:{kind}", keys.values())
                found[kind] = {name: stored[key] for name, key in keys.items() if key in stored}
        missing = [name for name in names if any(name not in found[k] for k in computes)]
        for batch in self._folder_versions(missing):
            for kind, compute in computes.items():
                todo = {name: vs for name, vs in batch.items() if name not in found[kind]}
                if not todo:
                    continue
                values, storable = _as_read(compute(todo))
                for name in todo:
                    found[kind][name] = values[name]
                    if storable[name]:
                        store.put(f"per-model:{kind}", keys[name], values[name])
        if missing:
            self._save()
        return found

    def _folder_versions(self, names: list[str]) -> Iterator[dict[str, list[ModelVersion]]]:
        """The versions of the named folders, a batch of folders at a time (let go after).

        Each folder's versions (path, blob id, summary) are stored by its key
        (kind ``versions``), so a value no caller asked for before reads a
        small entry per folder, not every file's check result.
        """
        if self._materialized():
            if names:
                yield {name: list(self._by_name.get(name, [])) for name in names}
            return
        assert self._folders is not None
        store, read = self._cache.store, self._folders.read
        for start in range(0, len(names), _VERSIONS_BATCH):
            chunk = names[start : start + _VERSIONS_BATCH]
            keys = {name: f"{self._cache.key}:{self._folders.keys[name]}" for name in chunk}
            batch = {}
            with _collector_paused():
                stored = store.get_many("versions", keys.values())
                for name, key in keys.items():
                    # Not stored, or not in this form: a miss.
                    with contextlib.suppress(KeyError, TypeError, ValueError):
                        batch[name] = [
                            ModelVersion(
                                SourceFile(path, None, blob, load=Read(read, path, blob)),
                                summary_from_json(summary),
                            )
                            for path, blob, summary in stored[key]
                        ]
            missing = [name for name in chunk if name not in batch]
            for found in self._read_folders(missing):
                for name, (files, results) in found.items():
                    batch[name] = self._build_versions(files, results)
                    self._put_versions(keys[name], batch[name])
            if missing:
                self._save()
            yield {name: batch[name] for name in chunk}

    def _put_versions(self, key: str, versions: list[ModelVersion]) -> None:
        rows = [[v.path, v.blob_id, summary_to_json(v.summary)] for v in versions]
        self._cache.store.put("versions", key, rows)

    def _read_folders(
        self, names: list[str]
    ) -> Iterator[dict[str, tuple[list[SourceFile], dict[str, FileResult]]]]:
        """Each named folder's files and their check results, ~_BATCH_FILES files at a time."""
        assert self._folders is not None
        batch: dict[str, list[SourceFile]] = {}
        size = 0
        for index, name in enumerate(names):
            batch[name] = self._listings([name])[name] if name in self._folders.keys else []
            size += len(batch[name])
            if size >= _BATCH_FILES or index == len(names) - 1:
                results = self._check_files([f for files in batch.values() for f in files])
                yield {n: (files, results) for n, files in batch.items()}
                batch, size = {}, 0

    @cached_property
    def _outlines(self) -> dict[str, dict[str, Any]]:
        """name -> {versions: how many, unreadable: its files' unreadable problems}, every folder.

        Stored by the folder's key (kind ``outline``), so ``models()`` and
        ``unreadable`` read one small entry per folder, not every file's result.
        """
        assert self._folders is not None
        store = self._cache.store
        names = sorted(self._folders.keys)
        keys = {name: f"{self._cache.key}:{self._folders.keys[name]}" for name in names}
        stored = store.get_many("outline", keys.values())
        found = {
            name: stored[key]
            for name, key in keys.items()
            if isinstance(stored.get(key), dict)
            and stored[key].keys() == {"versions", "unreadable"}
        }
        missing = [name for name in names if name not in found]
        self._outline_missing(missing, keys, found)
        return {name: found[name] for name in names}

    def _outline_missing(
        self, missing: list[str], keys: Mapping[str, str], found: dict[str, dict[str, Any]]
    ) -> None:
        """Outline the ``missing`` folders into ``found``, storing them (and their versions)."""
        store = self._cache.store
        for batch in self._read_folders(missing):
            for name, (files, results) in batch.items():
                versions = self._build_versions(files, results)
                self._put_versions(keys[name], versions)  # what per_model reads on a miss
                found[name] = {
                    "versions": len(versions),
                    "unreadable": [_packed(p) for p in _unreadable(files, results)],
                }
                store.put("outline", keys[name], found[name])
            self._save()  # free what is written before the next batch

    def select(self, refs: Iterable[tuple[str, str]]) -> list[ModelVersion]:
        """The versions ``(name, version)`` names exactly, in that order (those that exist).

        Before anything has read the whole registry, only these files' check
        results are read (a search's matches), not their folders' other versions.
        """
        wanted = list(refs)
        if self._folders is None or self._materialized() or not wanted:
            known = {(v.name, v.version): v for v in self._ordered}
            return [known[ref] for ref in wanted if ref in known]
        names = sorted({name for name, _ in wanted if name in self._folders.keys})
        listings = self._listings(names)
        paths = {model_path(name, version) for name, version in wanted}
        files = [f for name in names for f in listings[name] if f.path in paths]
        results = self._check_files(files)
        self._save()
        known = {(v.name, v.version): v for v in self._build_versions(files, results)}
        return [known[ref] for ref in wanted if ref in known]

    @cached_property
    def _answer(self) -> dict[str, Any]:
        """problems, file count and version count of the whole registry, cached by its folders."""
        assert self._folders is not None
        folders = self._folders
        store = self._cache.store
        names = sorted(folders.keys)
        digest = hashlib.sha1(
            "\n".join(f"{n} {folders.keys[n]}" for n in names).encode(), usedforsecurity=False
        ).hexdigest()
        key = f"{self._cache.key}:{digest}"
        answer: dict[str, Any] | None = store.get("registry", key)
        if answer is not None:
            return answer
        answer = self._answer_from_last() or self._answer_in_full(names)
        store.put("registry", key, answer)
        store.put("registry-last", self._cache.key, {"key": key, "folders": folders.keys})
        self._save()
        return answer

    def _answer_in_full(self, names: list[str]) -> dict[str, Any]:
        """The answer from every folder's entry: the rules across models over all facts."""
        assert self._folders is not None
        entries = self._model_entries(names)
        read = self._folders.read
        facts = [_Fact(name, read, *row) for name in names for row in entries[name]["facts"]]
        by_case: dict[str, list[str]] = {}
        for name in names:
            if entries[name]["case"]:
                by_case.setdefault(name.lower(), []).append(name)
        case_paths = [
            path
            for group in by_case.values()
            if len(group) > 1
            for name in group
            for path in entries[name]["case"]
        ]
        return {
            "file": [p for name in names for p in entries[name]["file"]],
            "local": [p for name in names for p in entries[name]["local"]],
            "global": [_packed(p) for p in _global_problems(facts, case_paths)],
            "files": sum(entries[name]["files"] for name in names),
            "versions": sum(len(entries[name]["facts"]) for name in names),
        }

    def _answer_from_last(self) -> dict[str, Any] | None:
        """The last answer computed, with the few changed folders swapped in; None when it can't be.

        The rules across models read only the versions' facts (paths, versions,
        artifact ids, parents, bases) and folder names: when those are the same
        in every changed folder, and none of the last answer's cross-model
        problems lies in one (its line could have moved), they are the last
        answer's. Editing a title or metrics re-checks one folder, not 10,000 versions.
        """
        assert self._folders is not None
        store, prefix = self._cache.store, self._cache.key
        last = store.get("registry-last", prefix)
        if not isinstance(last, dict):
            return None
        base = store.get("registry", str(last.get("key")))
        old_keys, new_keys = last.get("folders"), self._folders.keys
        if not isinstance(base, dict) or "global" not in base or not isinstance(old_keys, dict):
            return None
        changed = {
            n for n in old_keys.keys() | new_keys.keys() if old_keys.get(n) != new_keys.get(n)
        }
        if len(changed) > _INCREMENTAL_FOLDERS:
            return None
        new = self._model_entries(sorted(n for n in changed if n in new_keys))
        found = store.get_many(
            "model", [f"{prefix}:{old_keys[n]}" for n in changed if n in old_keys]
        )
        old = {n: found.get(f"{prefix}:{old_keys[n]}") for n in changed if n in old_keys}
        if any(entry is None for entry in old.values()):
            return None

        def facts(entry: dict[str, Any] | None) -> list[Any]:
            if entry is None:
                return []
            return [[row[0], *row[2:]] for row in entry["facts"]] + [entry["case"]]

        def outside(problems: list[list[Any]]) -> list[list[Any]]:
            """The problems located in no changed folder (every path is models/<name>/...)."""
            return [p for p in problems if str(p[0]).split("/")[1] not in changed]

        if any(facts(old.get(n)) != facts(new.get(n)) for n in changed):
            return None
        if len(outside(base["global"])) != len(base["global"]):
            return None
        names = sorted(new)
        return {
            "file": outside(base["file"]) + [p for n in names for p in new[n]["file"]],
            "local": outside(base["local"]) + [p for n in names for p in new[n]["local"]],
            "global": base["global"],
            "files": base["files"]
            - sum(e["files"] for e in old.values() if e is not None)
            + sum(new[n]["files"] for n in names),
            "versions": base["versions"]
            - sum(len(e["facts"]) for e in old.values() if e is not None)
            + sum(len(new[n]["facts"]) for n in names),
        }

    @property
    def check_cache(self) -> CheckCache:
        """The per-file check cache this registry was built with (shared, read-only, by --against)."""
        return self._cache

    # -- reading ----------------------------------------------------------

    def __iter__(self) -> Iterator[ModelVersion]:
        return iter(self._ordered)

    def __len__(self) -> int:
        if self._materialized():
            return len(self._ordered)
        return int(self._answer["versions"])

    @property
    def file_count(self) -> int:
        """How many files the registry has under models/ (versions and unreadable ones)."""
        if self._folders is None or "files" in self.__dict__:
            return len(self.files)
        return int(self._answer["files"])

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
        wanted = f"{ref.name}@{ref.value}"
        exact = next((v for v in self.versions(ref.name) if v.ref_text == wanted), None)
        if exact is not None:
            return exact
        # v2, v2.0 and v2.0.0 are one version (only one of them may exist).
        key = _safe_key(ref.value)
        return next((v for v in self.versions(ref.name) if _safe_key(v.version) == key), None)

    def models(self) -> list[str]:
        """Every model name (a folder with at least one version), sorted.

        Before anything has read the whole registry, answered from each
        folder's outline in the store (see ``per_model``), not from every file.
        """
        if self._materialized():
            return sorted(self._by_name)
        return [name for name, outline in self._outlines.items() if outline["versions"]]

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
        """The versions of one model, oldest first in numeric order.

        Before anything has read the whole registry, only this model's folder
        is read (its check results come from the cache by blob id).
        """
        if self._materialized():
            return list(self._by_name.get(name, []))
        return list(self._model_versions(name))

    def model_facts(self) -> Iterator[tuple[str, list[VersionFact]]]:
        """Every model (sorted) with its versions' compact facts, a few models at a time.

        For a caller that must see every version once without holding the
        registry (a full sync orders its batches by these): read from the
        store by the folders' tree ids, the facts the rules across models
        read; no version is built and nothing is kept. Models whose files are
        all unreadable have no versions and are left out, as in ``models()``.
        """
        if self._materialized():
            for name, versions in self._by_name.items():
                yield name, [VersionFact(v.version, v.artifact_id, v.base_refs) for v in versions]
            return
        assert self._folders is not None
        names = sorted(self._folders.keys)
        for start in range(0, len(names), _FACT_MODELS):
            part = names[start : start + _FACT_MODELS]
            entries = self._model_entries(part)
            for name in part:
                # A row: [path, blob id, version, artifact id, parent, base refs] (_model_entry).
                facts = [VersionFact(r[2], r[3], r[5]) for r in entries[name]["facts"]]
                if facts:
                    yield name, facts

    def read_models(self, names: Iterable[str]) -> dict[str, list[ModelVersion]]:
        """The versions of each named model, as ``versions`` gives them, read for the caller only.

        ``versions`` keeps every model it reads; a caller that walks the whole
        registry a batch of models at a time (a full sync) reads them here, so
        it holds one batch and never the registry.
        """
        wanted = list(dict.fromkeys(names))
        if self._materialized():
            return {name: list(self._by_name.get(name, [])) for name in wanted}
        assert self._folders is not None
        present = [name for name in wanted if name in self._folders.keys]
        listings = self._listings(present)
        results = self._check_files([f for name in present for f in listings[name]])
        self._save()
        found: dict[str, list[ModelVersion]] = {name: [] for name in wanted}
        for name in present:
            found[name] = self._build_versions(listings[name], results)
        return found

    def latest(self, name: str) -> ModelVersion | None:
        """The highest version of a model that is not a pre-release, else the highest."""
        return latest_of(self.versions(name))

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
        Before the files' results are read, answered from each folder's outline.
        """
        if self._folders is not None and "_results" not in self.__dict__:
            packed = [p for outline in self._outlines.values() for p in outline["unreadable"]]
            return sorted((Problem(*p) for p in packed), key=lambda p: p.path)
        return _unreadable(self.files, self._results)

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
        if self._folders is not None:
            return sorted((Problem(*p) for p in self._answer["file"]), key=lambda p: p.path)
        return [p for result in self._results.values() for p in result.problems]

    @cached_property
    def cross_file_problems(self) -> list[Problem]:
        """Problems that come from rules across files (see afsreg.checks.cross_file).

        They depend only on the files' paths and blob ids: a registry read
        from git answers them from the cache by the tree ids of its model
        folders, re-checking only the folders that changed (the rules within
        one model) and then the rules across models over compact facts.
        Otherwise they are cached under a digest of the (path, blob id) set.
        """
        if self._folders is not None:
            return [Problem(*p) for p in self._answer["local"] + self._answer["global"]]
        digest = hashlib.sha1(
            "\n".join(f"{f.path}:{f.blob_id}:{f.special}" for f in self.files).encode(),
            usedforsecurity=False,
        ).hexdigest()
        key = f"{self._cache.key}:{digest}"
        cached = self._cache.store.get("registry-global", key)
        if cached is not None:
            return [Problem(*p) for p in cached]
        model_paths = [f.path for f in self.files if is_model_path(f.path)]
        from afsreg.checks.cross_file import cross_file_problems

        found = cross_file_problems(self._ordered, model_paths)
        self._cache.store.put("registry-global", key, [_packed(p) for p in found])
        self._save()
        return found

    @cached_property
    def problems(self) -> list[Problem]:
        """Every problem in every file, errors and warnings, sorted by place."""
        found = set(self.file_problems) | set(self.cross_file_problems)
        return sorted(found, key=lambda p: (p.path, p.line, p.col, p.field, p.message))

    def check(self) -> None:
        """Raise ValidationError naming every error, if there is any."""
        if self.errors:
            raise ValidationError(
                self.errors, summary=f"{len(self.errors)} problem(s) in the registry:"
            )


# Files checked together when folders are missing from the cache (cold runs).
_BATCH_FILES = 4000
# Model folders whose facts ``model_facts`` reads from the store at once.
_FACT_MODELS = 200
# At most this many changed folders are swapped into the last answer (else: all facts).
_INCREMENTAL_FOLDERS = 64
# Models read from the store at once by per_model (a streaming caller holds this many).
_VALUES_BATCH = 200
# Folders whose versions are built at once when per_model computes a value (~5,000 at 100k).
_VERSIONS_BATCH = 50

# What per_model computes: a batch of models (name -> versions) -> a JSON-able value per name.
ModelValues = Callable[[Mapping[str, list[ModelVersion]]], Mapping[str, Any]]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while stored entries are decoded and built.

    What is read (JSON lists and dicts, versions) holds no cycles, so
    reference counting frees it; the collector would only walk every young
    object again and again (1 s of 2.6 s when 100,000 versions were read).
    Never around parsing or checking files: a YAML loader is a cycle, and
    worker processes forked meanwhile would inherit the pause.
    """
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def latest_of(versions: list[ModelVersion]) -> ModelVersion | None:
    """The highest version that is not a pre-release, else the highest (``versions`` in order)."""
    releases = [v for v in versions if "-" not in v.version] or versions
    return releases[-1] if releases else None


def _unreadable(files: list[SourceFile], results: Mapping[str, FileResult]) -> list[Problem]:
    """One problem per model file that did not give a version: its first error."""
    found = []
    for source in files:
        result = results[source.path]
        if result.summary is None and is_model_path(source.path):
            errors = [p for p in result.problems if p.severity == "error"]
            found.append(errors[0] if errors else Problem(source.path, 1, 1, "", "unreadable"))
    return found


def _as_read(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, bool]]:
    """Each value as JSON reads it back (what the store gives warm), and whether it can be stored.

    A value JSON cannot write is kept as it is, and not stored.
    """
    import json

    found: dict[str, Any] = {}
    storable: dict[str, bool] = {}
    for name, value in values.items():
        try:
            found[name] = json.loads(json.dumps(value, separators=(",", ":")))
            storable[name] = True
        except (TypeError, ValueError):
            found[name], storable[name] = value, False
    return found, storable


class VersionFact(NamedTuple):
    """What ``model_facts`` gives of one version: enough to order and link, nothing parsed."""

    version: str
    artifact_id: str
    base_refs: list[str]  # the in-registry base models, as name@version


class _Fact:
    """A version as the rules across models see it (afsreg.checks.cross_file.Facts)."""

    __slots__ = (
        "artifact_id",
        "base_refs",
        "blob_id",
        "name",
        "parent",
        "path",
        "read",
        "ref_text",
        "version",
    )

    def __init__(
        self,
        name: str,
        read: Callable[[str, str], bytes],
        path: str,
        blob_id: str,
        version: str,
        artifact_id: str,
        parent: str | None,
        base_refs: list[str],
    ) -> None:
        self.name, self.read, self.path, self.blob_id = name, read, path, blob_id
        self.version, self.artifact_id, self.parent = version, artifact_id, parent
        self.base_refs = base_refs
        self.ref_text = f"{name}@{version}"

    @property
    def content(self) -> bytes:
        return self.read(self.path, self.blob_id)


def _touched_folders(changes: Mapping[str, bytes | None]) -> set[str] | None:
    """The model folders ``changes`` fall in; None when one is not inside a model folder."""
    names = set()
    for path in changes:
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != MODELS_DIR or not parts[1] or not parts[2]:
            return None
        names.add(parts[1])
    return names


def _model_problems(versions: list[ModelVersion]) -> list[Problem]:
    from afsreg.checks.cross_file import model_problems

    return model_problems(versions)


def _global_problems(facts: list[_Fact], case_paths: list[str]) -> list[Problem]:
    from afsreg.checks.cross_file import global_problems

    return global_problems(facts, case_paths)


def _packed(problem: Problem) -> list[Any]:
    return list(problem.as_dict().values())


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
