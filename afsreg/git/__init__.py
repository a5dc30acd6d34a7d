"""Where bytes come from: working tree, index and commits; history; commits; caches in the git directory."""
