from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_detail import ErrorDetail


T = TypeVar("T", bound="ErrorBody")


@_attrs_define
class ErrorBody:
    """Observed, not in the vendor's spec. Deliberately permissive: the message is under "message", "msg" or
    "error.message"; some bodies carry "code". Validation failures use RFC 9457 problem details (title, detail, status).

        Attributes:
            message (str | Unset):
            msg (str | Unset):
            error (ErrorDetail | Unset):
            title (str | Unset):
            detail (str | Unset):
            status (int | Unset):
            code (Any | Unset): A machine-readable code, a string or a number (observed).
    """

    message: str | Unset = UNSET
    msg: str | Unset = UNSET
    error: ErrorDetail | Unset = UNSET
    title: str | Unset = UNSET
    detail: str | Unset = UNSET
    status: int | Unset = UNSET
    code: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_detail import ErrorDetail  # noqa: PLC0415

        message = self.message

        msg = self.msg

        error: dict[str, Any] | Unset = UNSET
        if not isinstance(self.error, Unset):
            error = self.error.to_dict()

        title = self.title

        detail = self.detail

        status = self.status

        code = self.code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if message is not UNSET:
            field_dict["message"] = message
        if msg is not UNSET:
            field_dict["msg"] = msg
        if error is not UNSET:
            field_dict["error"] = error
        if title is not UNSET:
            field_dict["title"] = title
        if detail is not UNSET:
            field_dict["detail"] = detail
        if status is not UNSET:
            field_dict["status"] = status
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_detail import ErrorDetail  # noqa: PLC0415

        d = dict(src_dict)
        message = d.pop("message", UNSET)

        msg = d.pop("msg", UNSET)

        _error = d.pop("error", UNSET)
        error: ErrorDetail | Unset
        if isinstance(_error, Unset):
            error = UNSET
        else:
            error = ErrorDetail.from_dict(_error)

        title = d.pop("title", UNSET)

        detail = d.pop("detail", UNSET)

        status = d.pop("status", UNSET)

        code = d.pop("code", UNSET)

        error_body = cls(
            message=message,
            msg=msg,
            error=error,
            title=title,
            detail=detail,
            status=status,
            code=code,
        )

        error_body.additional_properties = d
        return error_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
