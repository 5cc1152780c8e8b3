"""The wheel: one distribution, both import packages, usable without the source tree."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_ships_both_packages_type_markers_and_the_spec(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {
        "veo/__init__.py",
        "veo/py.typed",
        "veo_api/__init__.py",
        "veo_api/py.typed",
        "veo_api/openapi.yaml",
        "veo_api/api/videos/create_video_generation.py",
    } <= names
    assert not any(name.startswith(("generated/", "tests/", "openapi/")) for name in names)


def test_wheel_imports_in_a_fresh_environment_without_the_source_tree(
    wheel: Path, tmp_path: Path
) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    # The project's dependencies come from the test environment; a plain path entry
    # (not a site dir) so its editable-install hook is not processed.
    deps = sysconfig.get_paths()["purelib"]
    (Path(site) / "deps.pth").write_text(deps + "\n", encoding="utf-8")

    result = subprocess.run(
        [str(python), "-c", "import veo, veo_api; print(veo.__file__); print(veo_api.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert 0 == result.returncode, result.stderr
    assert all(line.startswith(site) for line in result.stdout.splitlines())
