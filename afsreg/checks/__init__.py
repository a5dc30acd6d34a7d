"""The rules: what one file must satisfy, what the files must satisfy together, and what history forbids."""
