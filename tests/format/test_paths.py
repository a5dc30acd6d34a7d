"""models/<name>/<version>.yaml <-> name@version, in afsreg.format.paths."""

from __future__ import annotations

from afsreg.format.paths import is_model_path, model_path, path_identity, path_ref, stem
from afsreg.format.refs import Ref


def test_a_ref_and_its_path_round_trip() -> None:
    ref = Ref("majora", "v2.0.1")
    assert ref.path == model_path("majora", "v2.0.1") == "models/majora/v2.0.1.yaml"
    assert path_ref(ref.path) == ("majora", "v2.0.1")
    assert path_identity(ref.path) == ("majora", "v2.0.1")


def test_path_ref_takes_both_suffixes_but_path_identity_only_the_canonical_one() -> None:
    assert path_ref("models/majora/v2.yml") == ("majora", "v2")
    assert path_identity("models/majora/v2.yml") is None
    assert path_ref("models/majora/sub/v2.yaml") == (None, None)
    assert path_ref("schemas/x.yaml") == (None, None)


def test_stem_and_is_model_path() -> None:
    assert stem("v2.yaml") == stem("v2.yml") == stem("v2") == "v2"
    assert is_model_path("models/a/b/v1.yml")
    assert not is_model_path("models/a/README.md")
    assert not is_model_path("other/a/v1.yaml")
