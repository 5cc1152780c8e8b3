"""A CA source the environment names but that cannot be used is a ``ConfigurationError``
naming the variable and the path, from both clients and from the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import veo


@pytest.fixture(params=["missing", "not PEM"])
def bad_ca_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "corporate-ca.pem"
    if request.param == "not PEM":
        path.write_text("this is not a certificate\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("client", [veo.Veo, veo.AsyncVeo])
def test_a_bad_ssl_cert_file_is_a_configuration_error_naming_it(
    client: type[veo.Veo | veo.AsyncVeo], bad_ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(bad_ca_file))

    with pytest.raises(veo.ConfigurationError) as info:
        client("sk-test-0123456789abcdef", base_url="https://api.test")

    assert f"SSL_CERT_FILE='{bad_ca_file}'" in str(info.value)


def test_a_bad_ssl_cert_dir_is_named_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))

    with pytest.raises(veo.ConfigurationError, match="SSL_CERT_DIR="):
        veo.Veo("sk-test-0123456789abcdef", base_url="https://api.test")


def test_the_command_says_which_variable_and_exits_2(bad_ca_file: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(bad_ca_file)}
    env |= {"DUOMI_API_KEY": "sk-test-0123456789abcdef", "VEO_HOME": str(tmp_path / "home")}

    result = subprocess.run(
        [sys.executable, "-m", "veo", "status", "task-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert 2 == result.returncode
    (line,) = result.stderr.strip().splitlines()
    assert f"SSL_CERT_FILE='{bad_ca_file}'" in line
    assert "Traceback" not in result.stderr
