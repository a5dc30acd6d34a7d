"""``afsreg validate``: check the registry, report what is wrong and where.

The whole registry is always checked, because cross-file rules (a parent
that must exist, one promoted version per model) can break through a file
that was not touched. When paths are given (pre-commit passes the staged
files), the report keeps the problems of those files plus every cross-file
problem, so an unrelated old warning does not block a commit.

With ``against``, released versions are also compared with that commit:
a version that was ever promoted or deployed is immutable (see
afsreg.checks.immutability).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from afsreg.errors import AfsregError
from afsreg.format.paths import POLICY_FILE
from afsreg.git.objects import folder_ids, plain_folder_files
from afsreg.git.repo import commit_tree, open_repo, resolve_commit
from afsreg.git.sources import SourceFile, rev_files, tree_files
from afsreg.problems import BySeverity, Problem
from afsreg.registry import Registry


@dataclass
class Report(BySeverity):
    problems: list[Problem]
    files_checked: int
    versions: int


def relative_paths(root: Path, paths: Sequence[str]) -> list[str]:
    """Paths as given (relative to the cwd, or absolute) -> relative to the registry root."""
    out = []
    cwd = Path(os.getcwd())
    for raw in paths:
        full = (cwd / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
        try:
            out.append(full.relative_to(root).as_posix())
        except ValueError:
            raise AfsregError(f"{raw}: outside the registry at {root}") from None
        if not full.exists() and not full.is_symlink():
            raise AfsregError(f"{raw}: no such file")
    return out


def hook_paths(paths: Sequence[str]) -> tuple[str, ...]:
    """The paths whose own problems a run reports: all given, when they are all model files.

    The pre-commit framework passes every staged file its ``files`` pattern
    matches, which includes ``schemas/*.json`` and ``afsreg.yaml``: a change
    to those can break any version, so the report then keeps every problem.
    """
    model_paths = tuple(p for p in paths if Path(p).suffix in (".yaml", ".yml"))
    return model_paths if len(model_paths) == len(paths) else ()


def validate(
    root: Path,
    paths: Sequence[str] = (),
    *,
    against: str | None = None,
    staged: bool = False,
) -> Report:
    """Validate the working tree (or the index, ``staged``), reporting ``paths``' problems.

    ``paths`` as the pre-commit framework passes them (see ``hook_paths``).
    """
    paths = hook_paths(paths)
    registry = Registry.staged(root) if staged else Registry.open(root)
    problems = list(registry.problems)
    if against is not None:
        problems += immutability_against(registry, root, against)
    wanted = set(relative_paths(root, paths)) if paths else None
    problems += policy_against(registry, root, wanted, against=against, staged=staged)
    if wanted is not None:
        per_file = set(registry.file_problems)
        problems = [p for p in problems if p.path in wanted or p not in per_file]
        checked = len(wanted)
    else:
        checked = registry.file_count
    problems = sorted(set(problems), key=lambda p: (p.path, p.line, p.col, p.field, p.message))
    return Report(problems, checked, len(registry))


def policy_against(
    registry: Registry,
    root: Path,
    paths: set[str] | None,
    *,
    against: str | None,
    staged: bool,
) -> list[Problem]:
    """The policy file's own problems, and the rules it sets (afsreg.checks.policy).

    Which versions are held to it: the given paths (pre-commit passes what
    a commit changes); else, with ``against``, the versions that differ from
    that commit; else all. A change to the policy itself holds every version
    to the new rules.
    """
    if not _may_have_policy(root, staged=staged):
        return []
    from afsreg.checks.policy import POLICY_FILE, policy_bytes, policy_problems, read_policy

    policy, problems = read_policy(root, staged=staged)
    if policy is None:
        return problems
    only: set[str] | None = None
    if paths is not None and POLICY_FILE not in paths:
        only = paths
    elif (
        paths is None
        and against is not None
        and not open_repo(root).head_is_unborn
        and policy_bytes(root, rev=against) == policy.content
    ):
        base = {f.path: f.blob_id for f in rev_files(root, against)[0]}
        only = {f.path for f in registry.files if base.get(f.path) != f.blob_id}
    return problems + policy_problems(registry, policy, only)


def _against_by_plumbing(head: Registry, root: Path, rev: str) -> list[Problem] | None:
    """``immutability_against`` with git plumbing, as a hook needs it: no pygit2 import.

    For a registry read by folders and a ``rev`` git resolves, whose changed
    folders hold plain files; None otherwise, and the caller reads with pygit2.
    """
    found = commit_tree(root, rev)
    if found is None:
        return None
    commit_id, tree_id = found
    base_ids = folder_ids(root, tree_id)
    folders = head.changed_from(base_ids)
    if base_ids is None or folders is None:
        return None
    files: list[SourceFile] = []
    for name in folders:
        if name in base_ids:
            listed = plain_folder_files(root, name, base_ids[name])
            if listed is None:
                return None
            files += listed
    return _against_folders(head, root, rev, commit_id, folders, files)


def _against_folders(
    head: Registry,
    root: Path,
    rev: str,
    commit_id: str,
    folders: list[str],
    files: list[SourceFile],
) -> list[Problem]:
    """Immutability problems of the model folders ``folders``, ``files`` being theirs at ``rev``."""
    from afsreg.checks.immutability import immutability_problems

    head_files = head.folder_files(folders)
    head_blobs = {f.path: f.blob_id for f in head_files}
    base = Registry(
        root,
        [f for f in files if head_blobs.get(f.path) != f.blob_id],
        rev=rev,
        commit_id=commit_id,
        schemas=head.schemas,
        cache=head.check_cache,
        save_cache=False,
    )
    touched = Registry(
        root, head_files, schemas=head.schemas, cache=head.check_cache, save_cache=False
    )
    return immutability_problems(base, touched)


def _may_have_policy(root: Path, *, staged: bool) -> bool:
    """False when there is surely no policy file, so the policy modules need not be imported.

    The working tree: whether anything is at its path; the index: whether git
    lists it. True whenever unsure: ``read_policy`` then decides, as before.
    """
    if not staged:
        return os.path.lexists(root / POLICY_FILE)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--", f":(literal){POLICY_FILE}"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return listed.returncode != 0 or bool(listed.stdout)


def immutability_against(head: Registry, root: Path, rev: str) -> list[Problem]:
    """Problems from changing released versions since ``rev`` (none when rev does not exist yet)."""
    found = _against_by_plumbing(head, root, rev)
    if found is not None:
        return found
    repo = open_repo(root)
    if repo.head_is_unborn and rev in ("HEAD", "@"):
        return []
    from afsreg.checks.immutability import immutability_problems

    # Only a version whose file differs from ``rev`` (changed, moved or gone)
    # can break immutability, so the base holds just those files: a
    # pre-commit run with one changed file reads one base version, not 10,000.
    # A version keeps its model folder, so only the folders whose tree ids
    # differ are read, on both sides.
    commit = resolve_commit(repo, rev)
    folders = head.changed_folders(repo, commit.tree)
    if folders is not None:
        files = [f for name in folders for f in tree_files(repo, commit.tree, f"models/{name}")]
        return _against_folders(head, root, rev, str(commit.id), folders, files)
    files, commit_id = rev_files(root, rev)
    head_blobs = {f.path: f.blob_id for f in head.files}
    changed = [f for f in files if head_blobs.get(f.path) != f.blob_id]
    base = Registry(
        root,
        changed,
        rev=rev,
        commit_id=commit_id,
        schemas=head.schemas,
        cache=head.check_cache,
        save_cache=False,  # read the cache, never prune it to these few
    )
    return immutability_problems(base, head)
