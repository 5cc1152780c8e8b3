"""The suite uses the same plugin users get through the ``pytest11`` entry point.

``make_client`` is the one way tests build a client: every test that takes it runs
twice, on ``Veo`` and on ``AsyncVeo`` (driven through ``SyncView``). Each test folder
says where the clients go with a ``client_options`` fixture.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import veo

from .helpers import SyncView

pytest_plugins = ["veo.testing"]


@pytest.fixture(scope="session", autouse=True)
def veo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The task ledger of every ``veo`` command the tests run, never the user's own
    (``VEO_HOME``, inherited by the processes the tests start)."""
    home = tmp_path_factory.mktemp("veo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VEO_HOME", str(home))
        yield home


ClientOptions = Callable[[str], dict[str, Any]]
"""Given ``"sync"`` or ``"async"``, the options a folder's clients are built with."""


@pytest.fixture(params=["sync", "async"])
def make_client(
    request: pytest.FixtureRequest, client_options: ClientOptions
) -> Iterator[Callable[..., Any]]:
    """Build a client of either kind (``sync``/``async`` in test ids); closed after."""
    runner = asyncio.Runner()
    built: list[Any] = []

    def make(**options: Any) -> Any:
        options = {**client_options(request.param), **options}
        if request.param == "sync":
            client: Any = veo.Veo(**options)
        else:
            client = SyncView(veo.AsyncVeo(**options), runner)
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()
    runner.close()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (once a session)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


STORAGE_SECRET = "s3cret-Wq9Zp4Lx7Kv2Tn8Rb5Hm3Yc6"
"""The storage secret key of the tests' S3 endpoint: it must appear in no output."""


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API on 127.0.0.1 (moto's server, started here), for the session."""
    moto_server = pytest.importorskip("moto.server", reason="the dev extra's moto[server]")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment an S3 client reads, pointed at ``s3_endpoint`` and nothing else
    (no profile files, no instance metadata: nothing leaves the machine); set in this
    process too. Returns the variables, for the processes a test starts."""
    variables = {
        "AWS_ACCESS_KEY_ID": "AKIATESTINGVEO000001",
        "AWS_SECRET_ACCESS_KEY": STORAGE_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return variables


@pytest.fixture
def bucket(s3_env: dict[str, str], request: pytest.FixtureRequest) -> str:
    """A new, empty bucket of this test's own on the endpoint."""
    import re

    import boto3

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"{name}-{abs(hash(request.node.nodeid)) % 10**8}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name
