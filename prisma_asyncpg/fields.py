"""Prisma Client Python's special field types: `Json` (a value to store as JSON) and `Base64` (Bytes)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Base64", "Json"]


class Json:
    """Wraps a value written to (or compared with) a Json column: `Json({'country': 'Scotland'})`."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def keys(cls, **data: Any) -> Json:
        """A Json object from keyword arguments: `Json.keys(country='Scotland')`."""
        return cls(data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Json) and other.data == self.data

    def __hash__(self) -> int:
        return hash(repr(self.data))

    def __repr__(self) -> str:
        return f"Json({self.data!r})"


class Base64:
    """A Bytes value, held base64-encoded as Prisma Client Python does."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    @classmethod
    def encode(cls, value: bytes) -> Base64:
        """The Base64 holding the raw bytes `value`."""
        return cls(base64.b64encode(value))

    @classmethod
    def fromb64(cls, value: str | bytes) -> Base64:
        """The Base64 of already-encoded text."""
        raw = value.encode("ascii") if isinstance(value, str) else value
        try:
            base64.b64decode(raw, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"not base64: {value!r}") from exc
        return cls(raw)

    def decode(self) -> bytes:
        """The raw bytes."""
        return base64.b64decode(self._raw)

    def decode_str(self, encoding: str = "utf-8") -> str:
        return self.decode().decode(encoding)

    def __str__(self) -> str:
        return self._raw.decode("ascii")

    def __repr__(self) -> str:
        return f"Base64({self._raw!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Base64) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_text = core_schema.no_info_plain_validator_function(cls._validate)
        return core_schema.json_or_python_schema(
            json_schema=from_text,
            python_schema=from_text,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def _validate(cls, value: Any) -> Base64:
        if isinstance(value, Base64):
            return value
        if isinstance(value, str):
            return cls(value.encode("ascii"))  # base64 text as PostgreSQL's encode() writes it
        if isinstance(value, bytes):
            return cls.fromb64(value)
        raise ValueError(f"expected base64 text, got {type(value).__name__}")
