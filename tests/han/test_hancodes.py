"""Install codes (ZigBee SE: 6, 8, 12 or 16 bytes + CRC-16/X-25, low byte first) and EUI-64 MACs."""

import pytest

from usage.headend.hancodes import (
    HanCodeError,
    crc16_x25,
    eui64_display,
    eui64_normalize,
    install_code_normalize,
    install_code_with_crc,
)

EXAMPLE = "83FED3407A939723A5C639B26916D505C3B5"


def test_crc16_x25_check_value():
    assert crc16_x25(b"123456789") == 0x906E  # the catalogue's check value of CRC-16/X-25


def test_the_issue_example_is_valid_with_its_crc_low_byte_first():
    assert install_code_with_crc("83FED3407A939723A5C639B26916D505") == EXAMPLE
    assert install_code_normalize("83fe d340-7a93:9723 a5c6 39b2 6916 d505 c3b5") == EXAMPLE


@pytest.mark.parametrize("n", [6, 8, 12, 16])
def test_valid_codes_of_each_length(n):
    code = install_code_with_crc(bytes(range(1, n + 1)).hex())
    assert len(code) == (n + 2) * 2
    assert install_code_normalize(code) == code


@pytest.mark.parametrize("n", [6, 8, 12, 16])
def test_a_typo_is_caught_at_each_length(n):
    code = install_code_with_crc(bytes(range(1, n + 1)).hex())
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    with pytest.raises(HanCodeError, match="check digits"):
        install_code_normalize(typo)


def test_swapped_crc_bytes_are_refused():
    with pytest.raises(HanCodeError, match="check digits"):
        install_code_normalize(EXAMPLE[:-4] + "B5C3")


@pytest.mark.parametrize("n", [0, 4, 5, 7, 10, 14, 17])
def test_wrong_lengths_are_refused_naming_the_lengths(n):
    code = install_code_with_crc(bytes(range(1, n + 1)).hex()) if n else ""
    with pytest.raises(HanCodeError, match="16, 20, 28 or 36|16, 20, 28, 36"):
        install_code_normalize(code)


def test_odd_digits_and_non_hex_are_refused():
    with pytest.raises(HanCodeError, match="hexadecimal digits"):
        install_code_normalize(EXAMPLE[:-1])
    with pytest.raises(HanCodeError, match="'G'"):
        install_code_normalize("G" + EXAMPLE[1:])


@pytest.mark.parametrize("typed", ["000d6f000a1b2c3d", "00:0D:6F:00:0A:1B:2C:3D", "00-0d-6f-00-0a-1b-2c-3d"])
def test_mac_with_or_without_separators(typed):
    assert eui64_normalize(typed) == "000D6F000A1B2C3D"
    assert eui64_display("000D6F000A1B2C3D") == "00:0D:6F:00:0A:1B:2C:3D"


@pytest.mark.parametrize(
    ("typed", "match", "code"),
    [
        ("000D6F000A1B2C", "16 hexadecimal digits; this one has 14", "mac_length"),
        ("000D6F000A1B2C3D4E", "has 18", "mac_length"),
        ("000D6F000A1B2C3Z", "'Z'", "mac_not_hex"),
        ("0000000000000000", "all zeros or all Fs", "mac_reserved"),
        ("ff:ff:ff:ff:ff:ff:ff:ff", "all zeros or all Fs", "mac_reserved"),
    ],
)
def test_bad_macs_are_refused(typed, match, code):
    with pytest.raises(HanCodeError, match=match) as refused:
        eui64_normalize(typed)
    assert refused.value.code == code  # the Devices form translates by this code


def test_install_code_errors_carry_their_code_and_figures():
    with pytest.raises(HanCodeError) as refused:
        install_code_normalize("0123456789")
    assert refused.value.code == "install_code_length" and refused.value.params["length"] == 10
    with pytest.raises(HanCodeError) as refused:
        install_code_normalize("01234G")
    assert refused.value.code == "install_code_not_hex" and refused.value.params["bad"] == "G"
    with pytest.raises(HanCodeError) as refused:
        install_code_normalize(EXAMPLE[:-4] + "B5C3")
    assert refused.value.code == "install_code_check"
