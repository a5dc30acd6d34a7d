"""Optional bridges for the two registries afsreg was specified from (seed 000 and seed 001)."""
