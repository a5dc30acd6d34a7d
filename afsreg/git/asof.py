"""``--at WHEN``: which commit answers a question "as of" a commit, a branch, or a time.

WHEN is read as a date-time when it looks like one (``2026-01-15``,
``2026-01-15T00:00Z``, ``2026-01-15T09:30:00+02:00``), else as a git
revision (a commit id, a branch, a tag, ``HEAD~3``). A date alone means
00:00 UTC of that day; a date-time without a zone is UTC.

For a time, the answer is the newest commit on the *first-parent* line of
the branch (HEAD unless given) committed at or before it: what that branch
said at that moment. First parents only, because a commit merged from a
feature branch was not on the branch until the merge, whatever its date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from afsreg.errors import AfsregError, NotFoundError
from afsreg.git.repo import resolve_commit

if TYPE_CHECKING:
    import pygit2  # only in annotations: read_at, what every answer reports, needs no repository

_DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class AsOf:
    """The commit a question is answered at, and what was asked for."""

    commit: str
    when: str  # as given
    time: datetime | None  # the time asked for, when WHEN was a time
    committed_at: str  # the commit's committer time, ISO 8601 UTC

    def describe(self) -> str:
        """For messages: 'at 2026-01-15T00:00:00Z (commit 3f2c9a1b7d)', 'at main (commit ...)'."""
        short = self.commit[:10]
        if self.time is not None:
            return f"at {iso_utc(self.time)} (commit {short})"
        if self.commit.startswith(self.when.lower()):
            return f"at commit {short}"
        return f"at {self.when} (commit {short})"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "at": self.when,
            "time": iso_utc(self.time) if self.time else None,
            "commit": self.commit,
            "committed_at": self.committed_at,
        }


def read_at(rev: str | None, commit: str | None, as_of: AsOf | None) -> dict[str, object]:
    """Where an answer was read: the working tree (no commit), a commit, or a commit as of WHEN."""
    found: dict[str, object] = {"rev": rev, "commit": commit, "working_tree": commit is None}
    if as_of is not None:
        found["as_of"] = as_of.as_dict()
    return found


def parse_when(text: str) -> datetime | None:
    """A UTC datetime when ``text`` is a date or date-time, else None (a revision)."""
    text = text.strip()
    if not _DATE_RE.match(text):
        return None
    value = text.replace(" ", "T", 1)
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AfsregError(f"{text!r}: not a valid date-time ({exc})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def commit_time(commit: pygit2.Commit) -> datetime:
    return datetime.fromtimestamp(commit.commit_time, UTC)


def commit_as_of(repo: pygit2.Repository, moment: datetime, branch: str = "HEAD") -> pygit2.Commit:
    """The newest first-parent commit of ``branch`` committed at or before ``moment``."""
    tip = resolve_commit(repo, branch)
    limit = int(moment.timestamp())
    current: pygit2.Commit | None = tip
    oldest = tip
    while current is not None:
        if current.commit_time <= limit:
            return current
        oldest = current
        current = current.parents[0] if current.parents else None
    raise NotFoundError(
        f"{branch} has no commit at or before {iso_utc(moment)} "
        f"(its first commit is {str(oldest.id)[:10]} at {iso_utc(commit_time(oldest))})"
    )


def resolve_at(repo: pygit2.Repository, when: str, branch: str = "HEAD") -> AsOf:
    """The commit ``--at WHEN`` names (see the module docstring)."""
    moment = parse_when(when)
    commit = commit_as_of(repo, moment, branch) if moment else resolve_commit(repo, when)
    return AsOf(str(commit.id), when, moment, iso_utc(commit_time(commit)))
