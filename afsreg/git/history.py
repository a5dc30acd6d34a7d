"""Which commits touched which model file: the index behind `afsreg log`, `blame` and `diff`.

One `git log --name-status` over `models/` lists, for every model file, the commits
that added, modified, renamed or deleted it.  The result is cached under the git
directory (``afsreg/history-v1.<tip>.json``) keyed by the tip commit, and a later
call on a descendant tip reads only the new commits.  A rewritten history (the
cached tip is no longer an ancestor) is rebuilt from scratch.

Why `git log` and not a pygit2 walk: on a synthetic 5,000-commit, 1,000-file
registry the subprocess plus parsing takes ~0.15 s, a pygit2 walk diffing every
commit against its parent ~0.85 s.  pygit2 is used for everything else (resolving
revisions, ancestry checks, reading blobs).

Renames are followed only at 90% similarity: version files look alike, and at
git's default 50% a new sibling version copied from an old one (with the old one
deleted) is taken for a rename of it.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from afsreg.errors import AfsregError
from afsreg.format.paths import MODELS_DIR, stem
from afsreg.git import repo as gitutil
from afsreg.git.store import store_dir, write_atomically
from afsreg.version import __version__

RENAME_THRESHOLD = 90
# A cache written by another afsreg version is not read (docs/history.md: keyed by version).
CACHE_FORMAT = f"afsreg-history-v1-{__version__}"
CACHE_KEEP = 4


@dataclass(frozen=True)
class FileChange:
    """One commit's change to one model file.

    ``status`` is A (added), M (modified), D (deleted), R (renamed from
    ``old_path``) or T (type change).  ``merge`` is set when the commit is a
    merge that left the file different from every parent (a conflict resolution).
    ``truncated`` is set on changes at a shallow-clone boundary, where git shows
    every file as added because the parent commits are not in the clone.
    """

    commit: str
    seq: int
    status: str
    path: str
    old_path: str | None = None
    merge: bool = False
    truncated: bool = False


@dataclass
class HistoryIndex:
    """For every model file path ever seen in the history of ``tip``: its changes, newest first."""

    tip: str | None
    shallow: frozenset[str] = frozenset()
    commits: list[str] = field(default_factory=list)  # index = seq, oldest first
    paths: dict[str, list[tuple[int, str, str | None, bool]]] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        """True when the clone is shallow: history before the boundary commits is missing."""
        return bool(self.shallow)

    def all_paths(self) -> list[str]:
        return sorted(self.paths)

    def paths_under(self, prefix: str) -> list[str]:
        return sorted(p for p in self.paths if p.startswith(prefix))

    def changes(self, path: str) -> list[FileChange]:
        """Changes to exactly this path, newest first (no rename following)."""
        return [self._change(path, entry) for entry in self.paths.get(path, [])]

    def file_history(self, path: str, follow_renames: bool = True) -> list[FileChange]:
        """Changes to ``path`` newest first, continuing into the rename source when it was renamed."""
        result: list[FileChange] = []
        seen: set[str] = set()
        current: str | None = path
        before = len(self.commits)  # only changes older than this seq
        while current is not None and current not in seen:
            seen.add(current)
            next_path = None
            for entry in self.paths.get(current, []):
                if entry[0] >= before:
                    continue
                change = self._change(current, entry)
                result.append(change)
                if follow_renames and change.status == "R" and change.old_path:
                    next_path = change.old_path
                    before = change.seq
                    break
            current = next_path
        return result

    def _change(self, path: str, entry: tuple[int, str, str | None, bool]) -> FileChange:
        seq, status, old_path, merge = entry
        commit = self.commits[seq]
        return FileChange(
            commit=commit,
            seq=seq,
            status=status,
            path=path,
            old_path=old_path,
            merge=merge,
            truncated=commit in self.shallow and status == "A",
        )


def load_history(
    repo: pygit2.Repository, rev: str = "HEAD", *, use_cache: bool = True
) -> HistoryIndex:
    """The history index of ``rev``: from the cache, extended with new commits, or built in one pass."""
    tip = resolve_commit(repo, rev)
    shallow = shallow_commits(repo)
    if tip is None:
        return HistoryIndex(tip=None, shallow=shallow)
    cache_dir = store_dir(repo.path)
    if use_cache:
        cached = _read_cache(cache_dir / f"history-v1.{tip}.json")
        if cached is not None and cached.shallow == shallow:
            return cached
        base = _newest_ancestor_cache(repo, cache_dir, tip, shallow)
    else:
        base = None
    if base is not None and base.tip is not None:
        index = _extend(repo, base, tip)
    else:
        index = HistoryIndex(tip=tip, shallow=shallow)
        _append_log(index, _git_log(repo, [tip]))
    if use_cache:
        _write_cache(cache_dir, index)
    return index


def resolve_commit(repo: pygit2.Repository, rev: str) -> str | None:
    """The commit id ``rev`` names; None for HEAD of a repository with no commits yet."""
    if rev in ("HEAD", "@") and repo.head_is_unborn:
        return None
    return str(gitutil.resolve_commit(repo, rev).id)


def shallow_commits(repo: pygit2.Repository) -> frozenset[str]:
    """The boundary commits of a shallow clone (empty for a full clone)."""
    try:
        text = (Path(repo.path) / "shallow").read_text()
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def shallow_key(repo: pygit2.Repository) -> str:
    """The shallow boundary as one string ('' for a full clone): what a sync was made at."""
    return ",".join(sorted(shallow_commits(repo)))


def _extend(repo: pygit2.Repository, base: HistoryIndex, tip: str) -> HistoryIndex:
    index = HistoryIndex(
        tip=tip,
        shallow=base.shallow,
        commits=list(base.commits),
        paths={path: list(entries) for path, entries in base.paths.items()},
    )
    if base.tip != tip:
        _append_log(index, _git_log(repo, [tip, f"^{base.tip}"]))
    return index


def _git_log(repo: pygit2.Repository, revs: list[str]) -> bytes:
    cwd = repo.workdir or repo.path
    argv = [
        "git",
        "-c",
        "core.quotepath=off",
        "-c",
        "log.showSignature=false",
        "log",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--name-status",
        f"--find-renames={RENAME_THRESHOLD}%",
        # Merges list only files that differ from every parent: conflict resolutions.
        # Changes a merge brings in are credited to the commits that made them.
        "--diff-merges=dense-combined",
        "--topo-order",
        "--format=%x01%H %P",
        *revs,
        "--",
        MODELS_DIR,
    ]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise AfsregError(f"git log failed in {cwd}: {message}")
    return proc.stdout


def parse_log(output: bytes) -> Iterator[tuple[str, list[str], list[tuple[str, str, str | None]]]]:
    """Parse ``git log -z --name-status --format=%x01%H %P``: (commit, parents, [(status, path, old_path)])."""
    for record in output.split(b"\x01")[1:]:
        header, _, rest = record.partition(b"\0")
        ids = header.decode("ascii").split()
        commit, parents = ids[0], ids[1:]
        tokens = rest.lstrip(b"\n\0").split(b"\0")
        changes: list[tuple[str, str, str | None]] = []
        i = 0
        while i + 1 < len(tokens):
            status = tokens[i].decode("ascii")
            if not status:
                i += 1
                continue
            if status[0] in "RC" and len(parents) <= 1:
                old_path = tokens[i + 1].decode("utf-8", "surrogateescape")
                new_path = tokens[i + 2].decode("utf-8", "surrogateescape")
                changes.append((status[0], new_path, old_path))
                if status[0] == "R":
                    # The old path's history ends here: record it as deleted by the rename.
                    changes.append(("D", old_path, None))
                i += 3
            else:
                path = tokens[i + 1].decode("utf-8", "surrogateescape")
                # A combined (merge) status has one letter per parent; the file is in the
                # merge result unless it was deleted.
                letter = "M" if len(status) > 1 and "D" not in status else status[0]
                if len(status) > 1 and set(status) == {"A"}:
                    letter = "A"
                changes.append((letter, path, None))
                i += 2
        yield commit, parents, changes


def _append_log(index: HistoryIndex, output: bytes) -> None:
    """Add the commits of one `git log` run (newest first) after those already in the index."""
    records = list(parse_log(output))
    start = len(index.commits)
    new_entries: dict[str, list[tuple[int, str, str | None, bool]]] = {}
    for offset, (commit, parents, changes) in enumerate(reversed(records)):
        seq = start + offset
        index.commits.append(commit)
        merge = len(parents) > 1
        for status, path, old_path in changes:
            new_entries.setdefault(path, []).append((seq, status, old_path, merge))
    for path, entries in new_entries.items():
        entries.reverse()
        index.paths[path] = entries + index.paths.get(path, [])


def _read_cache(path: Path) -> HistoryIndex | None:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT:
        return None
    try:
        return HistoryIndex(
            tip=raw["tip"],
            shallow=frozenset(raw["shallow"]),
            commits=list(raw["commits"]),
            paths={
                p: [(int(e[0]), str(e[1]), e[2], bool(e[3])) for e in entries]
                for p, entries in raw["paths"].items()
            },
        )
    except (KeyError, TypeError, IndexError, ValueError):
        return None


def _cache_files(cache_dir: Path) -> list[Path]:
    try:
        files = list(cache_dir.glob("history-v1.*.json"))
    except OSError:
        return []
    mtimes = []
    for f in files:
        with contextlib.suppress(OSError):
            mtimes.append((f.stat().st_mtime, f))
    return [f for _, f in sorted(mtimes, reverse=True)]


def _newest_ancestor_cache(
    repo: pygit2.Repository, cache_dir: Path, tip: str, shallow: frozenset[str]
) -> HistoryIndex | None:
    for path in _cache_files(cache_dir):
        cached_tip = path.name.split(".")[1]
        if not _is_ancestor(repo, cached_tip, tip):
            continue
        cached = _read_cache(path)
        if cached is not None and cached.tip == cached_tip and cached.shallow == shallow:
            return cached
    return None


def _is_ancestor(repo: pygit2.Repository, ancestor: str, descendant: str) -> bool:
    try:
        return bool(repo.descendant_of(descendant, ancestor))
    except (KeyError, ValueError, pygit2.GitError):
        # The cached tip is gone (rewritten and garbage-collected) or unreadable.
        return False


def _write_cache(cache_dir: Path, index: HistoryIndex) -> None:
    """Write atomically; a cache that cannot be written (read-only clone) is simply skipped."""
    payload = {
        "format": CACHE_FORMAT,
        "tip": index.tip,
        "shallow": sorted(index.shallow),
        "commits": index.commits,
        "paths": index.paths,
    }
    try:
        text = json.dumps(payload, separators=(",", ":"))  # in C; json.dump is not
        write_atomically(cache_dir / f"history-v1.{index.tip}.json", text, mode=0o644)
        for old in _cache_files(cache_dir)[CACHE_KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()
    except OSError:
        return


def model_file_paths(index: HistoryIndex, name: str, version: str | None = None) -> list[str]:
    """Paths in the history that hold ``name`` (all versions) or ``name@version``."""
    prefix = f"{MODELS_DIR}/{name}/"
    paths = index.paths_under(prefix)
    if version is None:
        return [p for p in paths if "/" not in p[len(prefix) :]]
    return [p for p in paths if stem(p[len(prefix) :]) == version]


def merged_history(index: HistoryIndex, paths: Iterable[str]) -> list[FileChange]:
    """Changes to any of ``paths``, newest first."""
    changes = [c for p in paths for c in index.changes(p)]
    changes.sort(key=lambda c: (-c.seq, c.path))
    return changes
