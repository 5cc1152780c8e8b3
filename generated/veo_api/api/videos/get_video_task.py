from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.video_task import VideoTask
from ...types import UNSET, Response


def _get_kwargs(
    task_id: str,
    *,
    authorization: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Authorization"] = authorization

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/videos/tasks/{task_id}".format(
            task_id=quote(str(task_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


METHOD = "GET"
"""The HTTP method."""
PATH = "/v1/videos/tasks/{task_id}"
"""The path, as the spec writes it (``{name}`` stands for each path parameter)."""


def request_args(
    task_id: str,
    *,
    authorization: str,
) -> dict[str, Any]:
    """The ``httpx`` request arguments of this operation: ``method``, ``url`` (the path,
    its parameters escaped), and ``headers``, ``json``, ``params``, ... as the spec asks.

    What ``sync_detailed`` and ``asyncio_detailed`` send, for callers with their own
    ``httpx`` client (added to the generator's output by ``openapi/templates/``).
    """
    return _get_kwargs(
        task_id=task_id,
        authorization=authorization,
    )


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | VideoTask:
    if response.status_code == 200:
        response_200 = VideoTask.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    response_default = ErrorBody.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | VideoTask]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Response[ErrorBody | VideoTask]:
    """Get a video generation task

    Args:
        task_id (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VideoTask]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        authorization=authorization,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> ErrorBody | VideoTask | None:
    """Get a video generation task

    Args:
        task_id (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VideoTask
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
        authorization=authorization,
    ).parsed


async def asyncio_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Response[ErrorBody | VideoTask]:
    """Get a video generation task

    Args:
        task_id (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | VideoTask]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        authorization=authorization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> ErrorBody | VideoTask | None:
    """Get a video generation task

    Args:
        task_id (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | VideoTask
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
            authorization=authorization,
        )
    ).parsed
