"""Model-based test: the store against a plain in-memory model over random command sequences."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from eventstore import ANY, NO_STREAM, ConcurrencyConflict, EventStore, NewEvent, RecordedEvent
from tests.eventstore.conftest import Deposited, make_registry

T = TypeVar("T")
STREAMS = st.sampled_from(["a", "b", "c"])


class Model:
    def __init__(self) -> None:
        self.log: list[tuple[str, int, uuid.UUID, int]] = []  # stream, version, id, amount
        self.batches: list[tuple[str, list[uuid.UUID], list[int]]] = []

    def version(self, stream: str) -> int:
        return sum(1 for s, *_ in self.log if s == stream)


class StoreMachine(RuleBasedStateMachine):
    #: ":memory:" shares one connection; a file exercises the writer thread and reader connections.
    on_file = False

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory(prefix="yulelog-model-") if self.on_file else None
        path = os.path.join(self.tmp.name, "model.db") if self.tmp else ":memory:"
        self.store = EventStore(path, make_registry())
        self.run(self.store.open())
        self.model = Model()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()
        if self.tmp is not None:
            self.tmp.cleanup()

    def _check_records(self, recs: list[RecordedEvent], start: int) -> None:
        for i, rec in enumerate(recs):
            stream, version, eid, amount = self.model.log[start + i]
            assert rec.position == start + i + 1
            assert (rec.stream_id, rec.version, rec.event_id) == (stream, version, eid)
            assert rec.event == Deposited(account=stream, amount=amount)

    @rule(
        stream=STREAMS,
        amounts=st.lists(st.integers(0, 1000), min_size=1, max_size=3),
        expectation=st.sampled_from(["exact", "stale", "ahead", "no_stream", "any"]),
    )
    def append(self, stream: str, amounts: list[int], expectation: str) -> None:
        current = self.model.version(stream)
        expected: Any = {
            "exact": current,
            "stale": max(current - 1, 0),
            "ahead": current + 1,
            "no_stream": NO_STREAM,
            "any": ANY,
        }[expectation]
        should_fail = (
            (expectation == "stale" and current > 0)
            or expectation == "ahead"
            or (expectation == "no_stream" and current > 0)
        )
        ids = [uuid.uuid4() for _ in amounts]
        events = [
            NewEvent(Deposited(account=stream, amount=a), event_id=e)
            for a, e in zip(amounts, ids, strict=True)
        ]
        try:
            recs = self.run(self.store.append(stream, events, expected_version=expected))
        except ConcurrencyConflict as exc:
            assert should_fail
            assert exc.actual_version == current  # noqa: PT017 - a rule, not a single raise
            return
        assert not should_fail
        start = len(self.model.log)
        for i, (a, e) in enumerate(zip(amounts, ids, strict=True)):
            self.model.log.append((stream, current + i + 1, e, a))
        self.model.batches.append((stream, ids, amounts))
        self._check_records(recs, start)

    @precondition(lambda self: self.model.batches)
    @rule(data=st.data(), expectation=st.sampled_from(["stale", "no_stream", "any"]))
    def idempotent_retry(self, data: st.DataObject, expectation: str) -> None:
        stream, ids, amounts = data.draw(st.sampled_from(self.model.batches))
        expected: Any = {"stale": 0, "no_stream": NO_STREAM, "any": ANY}[expectation]
        events = [
            NewEvent(Deposited(account=stream, amount=a), event_id=e)
            for a, e in zip(amounts, ids, strict=True)
        ]
        recs = self.run(self.store.append(stream, events, expected_version=expected))
        assert [r.event_id for r in recs] == ids
        first = next(i for i, entry in enumerate(self.model.log) if entry[2] == ids[0])
        self._check_records(recs, first)

    @rule(stream=STREAMS, from_version=st.integers(0, 6))
    def read_stream(self, stream: str, from_version: int) -> None:
        async def go() -> list[RecordedEvent]:
            return [r async for r in self.store.read_stream(stream, from_version)]

        got = self.run(go())
        want = [e for e in self.model.log if e[0] == stream and e[1] >= from_version]
        assert [(r.version, r.event_id) for r in got] == [(e[1], e[2]) for e in want]
        assert self.run(self.store.stream_version(stream)) == self.model.version(stream)

    @rule(start=st.integers(0, 12), length=st.none() | st.integers(0, 8))
    def read_all(self, start: int, length: int | None) -> None:
        until = None if length is None else start + length

        async def go() -> list[RecordedEvent]:
            return [r async for r in self.store.read_all(start, until)]

        got = self.run(go())
        lo = max(start, 1)
        hi = len(self.model.log) if until is None else min(until, len(self.model.log))
        assert [r.position for r in got] == list(range(lo, hi + 1))
        self._check_records(got, lo - 1)

    @precondition(lambda self: self.model.log)
    @rule(data=st.data())
    def get_event(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.model.log) - 1))
        rec = self.run(self.store.get_event(self.model.log[index][2]))
        assert rec is not None
        self._check_records([rec], index)
        assert self.run(self.store.get_event(uuid.uuid4())) is None

    @invariant()
    def chain_verifies(self) -> None:
        result = self.run(self.store.verify())
        assert result.ok
        assert result.count == len(self.model.log)


StoreMachine.TestCase.settings = settings(
    max_examples=75,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoreModel = StoreMachine.TestCase


class FileStoreMachine(StoreMachine):
    on_file = True


FileStoreMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFileStoreModel = FileStoreMachine.TestCase
