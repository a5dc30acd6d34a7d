import pytest

from afsreg.format.refs import RefError, parse_name_or_ref, parse_ref
from afsreg.format.versions import (
    bump_version,
    is_valid_name,
    is_valid_version,
    next_version,
    sort_versions,
)


def test_numeric_order_puts_v10_after_v9() -> None:
    assert sort_versions(["v10", "v9", "v1", "v2"]) == ["v1", "v2", "v9", "v10"]


def test_prerelease_sorts_before_its_release_and_by_semver_rules() -> None:
    versions = ["v2.0.0", "v2.0.0-rc.2", "v2.0.0-rc.10", "v2.0.0-alpha", "v1.9.9", "v2.0.0-rc.1"]
    assert sort_versions(versions) == [
        "v1.9.9",
        "v2.0.0-alpha",
        "v2.0.0-rc.1",
        "v2.0.0-rc.2",
        "v2.0.0-rc.10",
        "v2.0.0",
    ]


@pytest.mark.parametrize("good", ["v1", "v0", "v1.2", "v1.2.3", "v2.0.0-rc.1", "v10.20.30"])
def test_valid_versions(good: str) -> None:
    assert is_valid_version(good)


@pytest.mark.parametrize(
    "bad", ["1", "v", "v01", "v1.2.3.4", "V1", "v1-", "v1.2.x", "v1 ", "../v1"]
)
def test_invalid_versions(bad: str) -> None:
    assert not is_valid_version(bad)


@pytest.mark.parametrize("bad", ["Majora", "-x", "a b", "../etc", "a/b", "a\\b", "", "/abs"])
def test_invalid_names(bad: str) -> None:
    assert not is_valid_name(bad)


def test_next_version_keeps_the_models_style() -> None:
    assert next_version([]) == "v1"
    assert next_version(["v1", "v9", "v10"]) == "v11"
    assert next_version(["v1.2"]) == "v2.0"
    assert next_version(["v1.2.3"], "minor") == "v1.3.0"
    assert next_version([], "patch") == "v1.0.0"


def test_bump() -> None:
    assert bump_version("v1.2.3", "major") == "v2.0.0"
    assert bump_version("v1.2.3", "patch") == "v1.2.4"
    assert bump_version("v2.0.0-rc.1", "major") == "v2.0.0"
    assert bump_version("v1", "minor") == "v1.1.0"


def test_refs() -> None:
    assert str(parse_ref("majora@v2")) == "majora@v2"
    assert parse_ref("majora@v2").path == "models/majora/v2.yaml"
    assert parse_name_or_ref("majora") == ("majora", None)
    for bad in ["majora", "Majora@v1", "majora@2", "../x@v1"]:
        with pytest.raises(RefError):
            parse_ref(bad)
