"""What the read commands compute: the validate report, views, lineage, diffs and audit."""
