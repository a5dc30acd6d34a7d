"""Seed 001's ``register_model()`` keywords, and where each goes in a version file.

Seed 001 (a JSON registry with a Python API) registered a model with flat
keywords such as ``epochs=3`` or ``lora_path=...``; afsreg keeps accepting
them in ``afsreg.write.register.register_model`` so scripts written for it
keep working.
"""

from __future__ import annotations

# Seed 001's register_model() keywords, and where they go in a version file.
SEED_KEYWORDS: dict[str, tuple[str, ...]] = {
    "samples": ("training_config", "samples"),
    "epochs": ("training_config", "epochs"),
    "batch_size": ("training_config", "batch_size"),
    "learning_rate": ("training_config", "learning_rate"),
    "sequence_length": ("training_config", "sequence_length"),
    "duration_hours": ("training", "duration_hours"),
    "cost_usd": ("training", "cost_usd"),
    "hardware": ("training", "hardware"),
    "trained_by": ("training", "trained_by"),
    "lora_path": ("files", "lora", "path"),
    "gguf_path": ("files", "gguf", "path"),
    "checkpoint_path": ("files", "checkpoint", "path"),
    "config_path": ("files", "config", "path"),
    "git_commit": ("code", "commit_sha"),
    "code_repo_url": ("code", "repo_url"),
    "code_entrypoint": ("code", "entrypoint"),
}
