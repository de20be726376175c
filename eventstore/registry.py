"""Event types: stable names, schema versions, and upcasters from old versions to current ones.

Names, not Python class paths, are stored in the log, so classes can move between modules freely.
Old events are never rewritten (the log is append-only and hash-chained); instead each read brings
them to the current shape through registered dict -> dict upcasters, one step per version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from eventstore.errors import UnknownEventType, UpcastError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
StructT = TypeVar("StructT", bound=type[msgspec.Struct])
UpcasterT = TypeVar("UpcasterT", bound=Upcaster)
Decode = Callable[[bytes], Any]

_ENCODER = msgspec.json.Encoder()


def _unknown(cls: type) -> UnknownEventType:
    return UnknownEventType(
        f"{cls.__module__}.{cls.__qualname__} is not registered in the event registry"
    )


def _undecodable(data: bytes) -> None:
    return None


class EventRegistry:
    """Maps payload classes to (name, version) and back; caches decoders for the read hot path."""

    def __init__(self) -> None:
        self._by_cls: dict[type[msgspec.Struct], tuple[str, int]] = {}
        self._by_name: dict[str, tuple[type[msgspec.Struct], int]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        # (name, stored schema version) -> decode function; rebuilt lazily after any registration.
        self._decoders: dict[tuple[str, int], Decode] = {}
        self._lock = threading.Lock()

    def register(self, cls: StructT, *, name: str | None = None, version: int = 1) -> StructT:
        """Register a payload class; returns it so it can also be used as a decorator."""
        if not (isinstance(cls, type) and issubclass(cls, msgspec.Struct)):
            raise TypeError(f"{cls!r} is not a msgspec.Struct subclass")
        if version < 1:
            raise ValueError("schema versions start at 1")
        type_name = name if name is not None else cls.__name__
        with self._lock:
            known = self._by_name.get(type_name)
            if known is not None and known[0] is not cls:
                raise ValueError(f"event type {type_name!r} is already registered to {known[0]!r}")
            old = self._by_cls.get(cls)
            if old is not None and old != (type_name, version):
                raise ValueError(f"{cls!r} is already registered as {old}")
            self._by_cls[cls] = (type_name, version)
            self._by_name[type_name] = (cls, version)
            self._decoders.clear()
        return cls

    def upcaster(self, name: str, *, from_version: int) -> Callable[[UpcasterT], UpcasterT]:
        """Decorator registering ``fn(data_v) -> data_v+1`` for event type ``name``."""

        def decorate(fn: UpcasterT) -> UpcasterT:
            with self._lock:
                if (name, from_version) in self._upcasters:
                    raise ValueError(f"an upcaster for {name!r} v{from_version} already exists")
                self._upcasters[(name, from_version)] = fn
                self._decoders.clear()
            return fn

        return decorate

    def type_of(self, cls: type[msgspec.Struct]) -> tuple[str, int]:
        """The (name, current version) a payload of this class is stored under."""
        try:
            return self._by_cls[cls]
        except KeyError:
            raise _unknown(cls) from None

    def class_of(self, name: str) -> type[msgspec.Struct] | None:
        entry = self._by_name.get(name)
        return None if entry is None else entry[0]

    def current_version(self, name: str) -> int | None:
        entry = self._by_name.get(name)
        return None if entry is None else entry[1]

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._by_name
        return item in self._by_cls

    def encode(self, payload: msgspec.Struct) -> tuple[str, int, bytes]:
        """(type name, schema version, msgspec JSON bytes) of a payload."""
        entry = self._by_cls.get(type(payload))  # type_of, inlined: once per appended event
        if entry is None:
            raise _unknown(type(payload))
        return entry[0], entry[1], _ENCODER.encode(payload)

    def decode(self, name: str, schema_version: int, data: bytes) -> Any:
        """The payload as the current registered class, or None when ``name`` is not registered."""
        return self.decoder(name, schema_version)(data)

    def decoder(self, name: str, schema_version: int) -> Decode:
        """A cached decode function for one (type, stored version) pair: replay's fast path."""
        key = (name, schema_version)
        fn = self._decoders.get(key)
        if fn is None:
            fn = self._build_decoder(name, schema_version)
            self._decoders[key] = fn
        return fn

    def _build_decoder(self, name: str, schema_version: int) -> Decode:
        entry = self._by_name.get(name)
        if entry is None:
            return _undecodable
        cls, current = entry
        if schema_version == current:
            return msgspec.json.Decoder(cls).decode
        if schema_version > current:
            raise UpcastError(
                f"{name!r} v{schema_version} is newer than the registered v{current}; "
                "this code is older than the data"
            )
        steps: list[Upcaster] = []
        for v in range(schema_version, current):
            step = self._upcasters.get((name, v))
            if step is None:
                raise UpcastError(f"no upcaster registered for {name!r} from v{v} to v{v + 1}")
            steps.append(step)
        as_dict = msgspec.json.Decoder(dict[str, Any]).decode

        def upcast(data: bytes) -> Any:
            obj = as_dict(data)
            for step in steps:
                obj = step(obj)
            try:
                return msgspec.convert(obj, cls)
            except msgspec.ValidationError as exc:
                raise UpcastError(
                    f"{name!r} v{schema_version} upcast to v{current} "
                    f"does not fit {cls.__name__}: {exc}"
                ) from exc

        return upcast
