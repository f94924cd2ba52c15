import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol.version import PROTOCOL_VERSION, ProtocolMismatch, check_protocol_version


@pytest.mark.parametrize("version", [PROTOCOL_VERSION, "1.0.0", "1.7.3", "1.2.0-rc.1"])
def test_the_same_major_is_accepted(version):
    check_protocol_version(version)


@pytest.mark.parametrize("version", ["2.0.0", "0.1.0", "10.0.0"])
def test_another_major_names_the_supported_versions(version):
    with pytest.raises(ProtocolMismatch, match=r"speaks 1\.x"):
        check_protocol_version(version)


@pytest.mark.parametrize(
    "version", ["", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0\n", " 1.0.0", "1" * 5000 + ".0.0", "1.0.0-" + "a" * 100, "1234567890.0.0"]
)
def test_malformed_versions_are_invalid(version):
    with pytest.raises(InvalidInput, match="semver"):
        check_protocol_version(version)


def test_a_long_version_is_not_echoed():
    with pytest.raises(InvalidInput) as info:
        check_protocol_version("1" * 5000)
    assert "5000 characters" in str(info.value) and len(str(info.value)) < 200
