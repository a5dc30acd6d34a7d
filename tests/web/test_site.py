"""``afsreg site``: every page written, self-contained, replaced whole, at any revision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GitRegistry, run_afsreg
from web_fixtures import build_web_registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> GitRegistry:
    return build_web_registry(GitRegistry(tmp_path_factory.mktemp("site") / "registry"))


def site(registry: GitRegistry, out: Path, *args: str) -> None:
    result = run_afsreg(["site", "-o", str(out), *args], cwd=registry.root)
    assert result.returncode == 0, result.stderr
    assert "4 versions" in result.stderr or "versions" in result.stderr


def test_every_page_is_written(registry: GitRegistry, tmp_path: Path) -> None:
    out = tmp_path / "site"
    site(registry, out)
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    for name, versions in (("coder", ["v1", "v2"]), ("qwen-coder", ["v1"]), ("tiny-coder", ["v1"])):
        assert f"models/{name}/index.html" in written
        for v in versions:
            assert {f"models/{name}/{v}.html", f"models/{name}/{v}.card.md"} <= written
    assert {"index.html", "static/site.css", "static/site.js", ".nojekyll"} <= written


def test_pages_load_nothing_from_the_network(registry: GitRegistry, tmp_path: Path) -> None:
    out = tmp_path / "site"
    site(registry, out)
    for page in out.rglob("*.html"):
        html = page.read_text()
        # Scripts, styles, images and frames come from the site itself (links may point out).
        for tag, attr in re.findall(
            r"<(script|link|img|iframe)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", html
        ):
            assert not re.match(r"^(https?:)?//", attr), (page, tag, attr)
    assert "@import" not in (out / "static" / "site.css").read_text()
    assert "fetch(" not in (out / "static" / "site.js").read_text()


def test_file_text_is_escaped(tmp_path: Path) -> None:
    repo = GitRegistry(tmp_path / "registry")
    repo.write_model("xss", "v1", title="<script>alert(1)</script>", description="</script><b>x")
    repo.write_model(
        "ext",
        "v1",
        is_external=True,
        external_source_url="javascript:alert(1)",
        external_source_version="1",
    )
    repo.commit("hostile text")
    out = tmp_path / "site"
    result = run_afsreg(["site", "-o", str(out)], cwd=repo.root)
    assert result.returncode == 0, result.stderr
    for page in (out / "index.html", out / "models/xss/v1.html", out / "models/xss/index.html"):
        html = page.read_text()
        assert "<script>alert(1)" not in html and "</script><b>" not in html
    assert 'href="javascript:' not in (out / "models/ext/v1.html").read_text()


def test_rev_shows_an_older_commit_and_the_folder_is_replaced(
    registry: GitRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    site(registry, out)
    (out / "stale.html").write_text("from an earlier run")
    site(registry, out, "--rev", "HEAD~3")
    assert not (out / "stale.html").exists()
    assert not (out / "models" / "tiny-coder").exists()  # not registered yet at HEAD~3
    assert "coder" in (out / "index.html").read_text()


def test_refuses_a_folder_that_is_not_a_site(registry: GitRegistry, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run_afsreg(["site", "-o", str(out)], cwd=registry.root)
    assert result.returncode == 1 and "not empty" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    bad_rev = run_afsreg(["site", "-o", str(tmp_path / "x"), "--rev", "nope"], cwd=registry.root)
    assert bad_rev.returncode == 1 and bad_rev.stderr.startswith("error: ")
    assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".afsreg-site-")]
