"""``afsreg site``: the whole catalogue written to a folder, ready for any static host.

Everything is written to a temporary folder beside the target first and
moved into place at the end, so a failed run never leaves half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from afsreg.errors import AfsregError
from afsreg.web import pages
from afsreg.web.snapshot import Snapshot


def write_site(snapshot: Snapshot, out: Path) -> list[str]:
    """Write every page of ``snapshot`` under ``out``; return the relative paths written."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise AfsregError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise AfsregError(f"{out}: not empty and not an afsreg site; choose an empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".afsreg-site-", dir=out.parent))
    written: list[str] = []
    try:

        def put(relative: str, content: str | bytes) -> None:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_bytes(content)
            written.append(relative)

        put("index.html", pages.render_index(snapshot))
        for name in snapshot.registry.models():
            put(pages.model_path(name), pages.render_model(snapshot, name))
            for v in snapshot.registry.versions(name):
                put(pages.version_path(v.name, v.version), pages.render_version(snapshot, v))
                put(pages.card_path(v.name, v.version), snapshot.card(v).text())
        for asset in pages.STATIC_FILES:
            put(f"static/{asset}", pages.static_file(asset))
        put(".nojekyll", "")  # GitHub Pages: serve the folder as it is
        os.chmod(staging, 0o755)
        if out.exists():
            old = out.with_name(out.name + ".old-afsreg")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written
