"""The registry at one commit, with what its pages and APIs read: lineage, history, cards.

A Snapshot is immutable once built, so the server can share one between
requests and swap in a new one when HEAD moves (``SnapshotCache``). Every
fact comes from the read layer (views, lineage, audit, card); this module
only memoises.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import pygit2

from afsreg.format.record import ModelVersion
from afsreg.git.history import HistoryIndex, load_history
from afsreg.git.repo import open_repo, resolve_commit
from afsreg.read.audit import AuditEntry, model_log, version_log
from afsreg.read.card import ModelCard, build_card
from afsreg.read.lineage import LineageGraph
from afsreg.registry import Registry


class Snapshot:
    """The registry at commit ``commit`` of the repository at ``root``."""

    def __init__(self, root: Path, rev: str = "HEAD") -> None:
        self.root = root
        self.repo: pygit2.Repository = open_repo(root)
        self.commit = str(resolve_commit(self.repo, rev).id)
        self.registry = Registry.open(root, rev=self.commit)
        self._lock = threading.Lock()
        self._logs: dict[str, list[AuditEntry]] = {}
        self._cards: dict[str, ModelCard] = {}

    @cached_property
    def graph(self) -> LineageGraph:
        return LineageGraph.from_versions(self.registry)

    @cached_property
    def by_source_url(self) -> dict[str, ModelVersion]:
        """External versions by their ``external_source_url`` (the first one for each URL)."""
        found: dict[str, ModelVersion] = {}
        for v in self.registry:
            url = v.data.get("external_source_url") if v.is_external else None
            if isinstance(url, str):
                found.setdefault(url.rstrip("/"), v)
        return found

    @cached_property
    def history(self) -> HistoryIndex:
        return load_history(self.repo, self.commit)

    @cached_property
    def commit_time(self) -> str:
        from afsreg.read.audit import commit_date

        commit = self.repo[self.commit]
        assert isinstance(commit, pygit2.Commit)
        return commit_date(commit.committer)

    def version_log(self, v: ModelVersion) -> list[AuditEntry]:
        """The git history of ``v``'s file, newest first (memoised)."""
        with self._lock:
            if v.ref_text not in self._logs:
                self._logs[v.ref_text] = version_log(self.repo, self.history, v.name, v.version)
            return self._logs[v.ref_text]

    def model_log(self, name: str) -> list[AuditEntry]:
        key = f"{name}/"
        with self._lock:
            if key not in self._logs:
                self._logs[key] = model_log(self.repo, self.history, name)
            return self._logs[key]

    def card(self, v: ModelVersion) -> ModelCard:
        history = self.version_log(v)
        with self._lock:
            if v.ref_text not in self._cards:
                self._cards[v.ref_text] = build_card(v, self.graph, history, self.commit)
            return self._cards[v.ref_text]


class SnapshotCache:
    """The snapshot of the current HEAD: rebuilt when HEAD points at a new commit.

    Reading HEAD is one ref lookup, so every request sees the newest commit
    without a restart, and requests between commits share one snapshot.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._repo = open_repo(root)
        self._lock = threading.Lock()
        self._current: Snapshot | None = None

    def head(self) -> str:
        return str(resolve_commit(self._repo, "HEAD").id)

    def current(self) -> Snapshot:
        head = self.head()
        current = self._current
        if current is not None and current.commit == head:
            return current
        with self._lock:
            if self._current is None or self._current.commit != head:
                self._current = Snapshot(self.root, head)
            return self._current

    def describe(self) -> dict[str, Any]:
        snapshot = self.current()
        return {"commit": snapshot.commit, "versions": len(snapshot.registry)}
