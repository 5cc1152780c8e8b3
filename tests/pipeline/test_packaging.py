"""The wheel: one distribution, both import packages, usable without the source tree."""

from __future__ import annotations

import os
import subprocess
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from ..helpers import venv_with_wheel

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_both_packages_type_markers_and_the_spec(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {
        "veo/__init__.py",
        "veo/py.typed",
        "veo_api/__init__.py",
        "veo_api/py.typed",
        "veo_api/openapi.yaml",
        "veo_api/api/videos/create_video_generation.py",
        "veo/mock/sample-16x9.mp4",
        "veo/mock/sample-9x16.mp4",
        "veo/testing.py",
    } <= names
    assert not any(name.startswith(("generated/", "tests/", "openapi/")) for name in names)


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh venv holding only the wheel; (its python, its site-packages)."""
    # The project's dependencies come from the test environment.
    return venv_with_wheel(tmp_path_factory.mktemp("venv"), wheel, sysconfig.get_paths()["purelib"])


def test_wheel_imports_in_a_fresh_environment_without_the_source_tree(
    installed: tuple[Path, str], tmp_path: Path
) -> None:
    python, site = installed

    result = subprocess.run(
        [str(python), "-c", "import veo, veo_api; print(veo.__file__); print(veo_api.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert 0 == result.returncode, result.stderr
    assert all(line.startswith(site) for line in result.stdout.splitlines())


def test_installed_wheel_runs_the_mock_server(installed: tuple[Path, str], tmp_path: Path) -> None:
    python, _ = installed
    server = subprocess.Popen(
        [str(python), "-m", "veo.mock", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        first, second = server.stdout.readline(), server.stdout.readline()
        url = first.rsplit(" ", 1)[1].strip()
        body = {"model": "veo3.1-fast", "prompt": "The car moves forward at a high speed"}

        created = httpx.post(
            f"{url}/v1/videos/generations", json=body, headers={"Authorization": "mock-key"}
        )
        refused = httpx.post(f"{url}/v1/videos/generations", json=body)
    finally:
        server.terminate()
        server.communicate(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert "API key: mock-key" in second
    assert (200, 401) == (created.status_code, refused.status_code)
    assert created.json()["id"]


def test_pytest_plugin_is_registered_through_the_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(name).decode()

    assert "[pytest11]\nveo = veo.testing" in entry_points


USERS_TESTS = """
import os
import threading
import time

import veo.testing
from veo import Veo

TEST_THREAD = threading.current_thread()
REAL_SLEEP = time.sleep


def no_real_sleep(seconds):
    assert threading.current_thread() is not TEST_THREAD or seconds <= 0, seconds
    REAL_SLEEP(seconds)


def test_generate_through_the_fixture(veo_client, veo_mock, tmp_path, monkeypatch):
    monkeypatch.setattr(time, "sleep", no_real_sleep)

    result = veo_client.generate("The car moves forward at a high speed", dest=tmp_path)

    assert result.path.read_bytes()[4:8] == b"ftyp"
    assert veo_mock.state.tasks_created == 1


def test_the_plain_client_still_works(veo_mock):
    with Veo(api_key=veo_mock.api_key, base_url=veo_mock.url) as client:
        task = client.create("a cat")

    assert task.id in veo_mock.state.tasks


def test_the_plugin_is_the_installed_wheel():
    assert veo.testing.__file__.startswith(os.environ["WHEEL_SITE"])
"""


def test_a_users_project_tests_generate_through_the_documented_fixture(
    installed: tuple[Path, str], tmp_path: Path
) -> None:
    """A throwaway project: the installed wheel's pytest plugin, the documented fixture,
    and no real pause in the user's test (the time goal is in make bench)."""
    python, site = installed
    (tmp_path / "test_users_video.py").write_text(USERS_TESTS, encoding="utf-8")

    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tmp_path,
        env={**os.environ, "WHEEL_SITE": site},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert 0 == result.returncode, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_wheel_and_the_package_state_one_version(wheel: Path) -> None:
    import veo

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()

    assert f"\nVersion: {veo.__version__}\n" in metadata
