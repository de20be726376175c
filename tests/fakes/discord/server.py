"""A fake Discord on 127.0.0.1: the REST routes and the gateway a hikari bot uses.

It speaks Discord's JSON (and the gateway's zlib-stream framing), keeps what the bot created, and
records every request so tests can assert on what the bot sent. It is deliberately small: routes
it does not know answer 404 in Discord's error shape, so a test notices a new dependency at once.

The gateway keeps sessions as Discord does: READY names the session and a `resume_gateway_url`;
dispatches are numbered per session and kept, so a RESUME (op 6) replays those after its `seq`
and then sends RESUMED, while a session the fake does not know (or has ended) gets op 9 d=false.
Tests break connections with `drop_connections`, `send_reconnect` and `invalidate_sessions`.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSMsgType, web

from tests.fakes.discord import payloads

API = "/api/v10"
GATEWAY_PATH = "/gateway"
RESUME_PATH = "/resume-gateway"
CONTENT_MAX_CHARS = 2000  # Discord's limit on a message's content


@dataclass(slots=True)
class Request:
    """One request the bot made: method, path (without the /api/v10 prefix), query and body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


#: Close codes after which Discord ends the session, so the client must IDENTIFY anew (Discord's
#: gateway close event codes: 4007 invalid seq, 4009 session timed out). Other codes a server
#: closes with, such as 4000 (unknown error), leave the session resumable.
SESSION_ENDING_CLOSE_CODES: Final = frozenset({4007, 4009})

#: A client that closes with 1000 or 1001 ends its session ("your session will be invalidated");
#: any other code, or no close frame at all, leaves it resumable.
CLIENT_ENDING_CLOSE_CODES: Final = frozenset({1000, 1001})


@dataclass(slots=True)
class GatewaySession:
    """One gateway session (READY's `session_id`): its sequence numbers and the dispatches it was
    sent, so a RESUME can replay whatever a dropped connection missed.

    `dispatches`: every DISPATCH in sequence order, READY and RESUMED excepted (they belong to a
    connection, not to the stream of events). `connection`: the connection carrying the session,
    None while the bot is disconnected; dispatches meanwhile are only queued here. `ended`: the
    session is over (invalidated, or closed by the bot with 1000/1001): a RESUME of it gets op 9.
    """

    session_id: str
    seq: int = 0
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    ended: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def after(self, seq: int) -> list[dict[str, Any]]:
        """The dispatches a client that last saw `seq` has missed, in order."""
        return [frame for frame in self.dispatches if frame["s"] > seq]


@dataclass(slots=True)
class GatewayConnection:
    """One websocket connection to the gateway: what the bot sent on it and what it was sent.

    `path`: `/gateway` (the URL from GET /gateway/bot) or `/resume-gateway` (READY's
    `resume_gateway_url`). `identify` / `resume`: the `d` of the bot's IDENTIFY (op 2) or RESUME
    (op 6). `session`: the session it carries, from READY or RESUMED on. `close_code`: the code the
    bot closed it with (None when it did not: the fake closed it, or the socket just dropped).
    """

    ws: web.WebSocketResponse
    path: str
    transport: asyncio.Transport | None
    compressor: Any = field(default_factory=zlib.compressobj)
    identify: dict[str, Any] | None = None
    resume: dict[str, Any] | None = None
    session: GatewaySession | None = None
    heartbeats: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def resumed(self) -> bool:
        """The fake answered this connection's RESUME with RESUMED (the replay is complete)."""
        return any(frame.get("t") == "RESUMED" for frame in self.sent)


def fake_token(bot_id: int) -> str:
    """hikari reads the bot id from the token's first segment, so the fake token must carry it."""
    first = base64.b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{first}.fake.{'x' * 27}"


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


class FakeDiscord:
    """Start with `async with FakeDiscord() as discord:`; point the bot at `discord.api_url`."""

    def __init__(
        self,
        *,
        application_id: int = 775799577604522054,
        public_key_hex: str = "00" * 32,
        heartbeat_interval_ms: int = 45_000,
        nonce_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.application_id = application_id
        self.bot_id = application_id
        self.token = fake_token(self.bot_id)
        self.public_key_hex = public_key_hex
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.nonce_ttl = nonce_ttl
        self.clock = clock
        self.requests: list[Request] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.callbacks: dict[str, list[dict[str, Any]]] = {}
        self.followups: dict[str, list[dict[str, Any]]] = {}
        self.originals: dict[str, dict[str, Any]] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> channel id
        self.closed_dms: set[int] = set()  # users whose DMs answer 403 / 50007
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel id -> created messages
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}  # session id -> session
        self.fail_next: dict[str, list[int]] = {}  # route name -> statuses to answer first
        self.down: dict[str, int] = {}  # route name -> status to answer until removed (an outage)
        # "POST channels" -> how to lose the answers of the next message creations: Discord
        # creates the message, then the bot gets this status instead (None: the connection drops).
        self.lose_answer: dict[str, list[int | None]] = {}
        self._nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self._loading: set[str] = set()  # tokens whose deferral has not been edited yet
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_get(RESUME_PATH, self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        bound = [a for a in self._runner.addresses if isinstance(a, tuple)]
        self.port = int(bound[0][1])

    async def close(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @property
    def resume_gateway_url(self) -> str:
        """What READY gives as `resume_gateway_url`: the same fake, on a path of its own, so a test
        can tell a resume that followed Discord's instruction from one that did not."""
        return f"ws://127.0.0.1:{self.port}{RESUME_PATH}"

    # -- assertions ------------------------------------------------------------------------------

    def requests_to(self, method: str, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds (re-checked on every request and gateway message)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def all_messages(self) -> list[dict[str, Any]]:
        return [m for msgs in self.messages.values() for m in msgs]

    # -- gateway: what tests do ------------------------------------------------------------------

    def live_connections(self) -> list[GatewayConnection]:
        return [c for c in self.connections if not c.ended.is_set()]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH to every live session, under the session's next sequence number.

        A session whose connection has dropped only queues it: the bot gets it when it resumes.
        """
        for session in list(self.sessions.values()):
            if session.ended:
                continue
            async with session.lock:
                session.seq += 1
                frame = {"op": 0, "t": event, "s": session.seq, "d": data}
                session.dispatches.append(frame)
                if session.connection is not None:
                    await self._send(session.connection, frame)

    async def dispatch_interaction(self, payload: dict[str, Any]) -> None:
        await self.dispatch("INTERACTION_CREATE", payload)

    async def drop_connections(self, code: int | None = None, *, within: float = 5.0) -> None:
        """End every live gateway connection and wait until the fake has noticed.

        `code=None`: the socket just drops, with no close frame (a network failure). Otherwise the
        fake closes with `code`; 4000 (unknown error) leaves the session resumable, while 4007
        and 4009 end it (`SESSION_ENDING_CLOSE_CODES`). Either way, dispatches sent afterwards are
        queued for a resumable session until the bot resumes it.
        """
        live = self.live_connections()
        for connection in live:
            if code is None:
                assert connection.transport is not None
                connection.transport.abort()
            else:
                if connection.session is not None and code in SESSION_ENDING_CLOSE_CODES:
                    self._end(connection.session)
                await connection.ws.close(code=code, message=b"closed by the fake")
        async with asyncio.timeout(within):
            for connection in live:
                await connection.ended.wait()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live connection: the bot should reconnect and resume."""
        for connection in self.live_connections():
            await self._send(connection, {"op": 7, "d": None})

    async def invalidate_sessions(self, *, resumable: bool) -> None:
        """Send op 9 INVALID SESSION on every live connection that carries a session.

        `resumable=False` ends those sessions first (nothing more is queued for them, and a
        RESUME of one gets op 9 d=false), so the bot must IDENTIFY anew.
        """
        for connection in self.live_connections():
            if connection.session is None:
                continue
            if not resumable:
                self._end(connection.session)
            await self._send(connection, {"op": 9, "d": resumable})

    # -- gateway: the protocol -------------------------------------------------------------------

    async def _send(self, connection: GatewayConnection, frame: dict[str, Any]) -> bool:
        """Send one frame on the connection's zlib stream; False when the socket is already gone
        (a dispatch then stays in its session's queue, to be replayed on RESUME)."""
        raw = json.dumps(frame).encode()
        async with connection.send_lock:
            if connection.ws.closed or connection.ended.is_set():
                return False
            data = connection.compressor.compress(raw) + connection.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            try:
                await connection.ws.send_bytes(data)
            except ConnectionError:
                return False
            connection.sent.append(frame)
            return True

    def _end(self, session: GatewaySession) -> None:
        session.ended = True
        session.connection = None

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("compress") != "zlib-stream" or query.get("encoding") != "json":
            return web.Response(status=400, text="this fake speaks json over zlib-stream only")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = GatewayConnection(ws=ws, path=request.path, transport=request.transport)
        self.connections.append(connection)
        try:
            hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            await self._send(connection, hello)
            while True:
                message = await ws.receive()
                if message.type is WSMsgType.CLOSE:
                    connection.close_code = int(message.data)
                    break
                if message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                # Discord takes JSON as text or binary frames; hikari sends binary.
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                frame = json.loads(message.data)
                op = frame.get("op")
                if op == 1:
                    connection.heartbeats += 1
                    await self._send(connection, {"op": 11})
                elif op == 2:
                    await self._identify(connection, frame["d"])
                elif op == 6:
                    await self._resume(connection, frame["d"])
                await self._notify()
        finally:
            self._disconnected(connection)
            await self._notify()
        return ws

    async def _identify(self, connection: GatewayConnection, identify: dict[str, Any]) -> None:
        if identify.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"Already authenticated.")
            return
        connection.identify = identify
        session = GatewaySession(session_id=f"fake-session-{len(self.sessions) + 1}")
        self.sessions[session.session_id] = session
        async with session.lock:
            session.seq += 1
            ready = {"op": 0, "t": "READY", "s": session.seq, "d": self._ready(session)}
            if await self._send(connection, ready):
                session.connection = connection
                connection.session = session

    async def _resume(self, connection: GatewayConnection, resume: dict[str, Any]) -> None:
        """Discord's RESUME: replay what the session missed after `seq`, then RESUMED.

        An unknown or ended session gets op 9 with d=false (the bot must IDENTIFY); a `seq` the
        session never reached closes the connection with 4007 (invalid seq) and ends the session.
        """
        connection.resume = resume
        if resume.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = self.sessions.get(str(resume.get("session_id")))
        if session is None or session.ended:
            await self._send(connection, {"op": 9, "d": False})
            return
        seq = resume.get("seq")
        if not isinstance(seq, int) or seq > session.seq:
            self._end(session)
            await connection.ws.close(code=4007, message=b"Invalid seq.")
            return
        async with session.lock:
            for frame in session.after(seq):
                if not await self._send(connection, frame):
                    return
            session.seq += 1
            resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
            if await self._send(connection, resumed):
                session.connection = connection
                connection.session = session

    def _disconnected(self, connection: GatewayConnection) -> None:
        connection.ended.set()
        session = connection.session
        if session is None or session.connection is not connection:
            return
        session.connection = None
        if connection.close_code in CLIENT_ENDING_CLOSE_CODES:
            self._end(session)

    def _ready(self, session: GatewaySession) -> dict[str, Any]:
        me = payloads.user(self.bot_id, "yulelog", bot=True) | {
            "mfa_enabled": False,
            "flags": 0,
            "verified": True,
            "email": None,
        }
        return {
            "v": 10,
            "user": me,
            "guilds": [],
            "session_id": session.session_id,
            "resume_gateway_url": self.resume_gateway_url,
            "shard": [0, 1],
            "application": {"id": str(self.application_id), "flags": 0},
        }

    # -- REST ------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                raw = form.get("payload_json")
                body = json.loads(raw if isinstance(raw, str) else "null")
        self.requests.append(
            Request(
                method=request.method,
                path=path,
                query=dict(request.query),
                body=body,
                authorization=request.headers.get("Authorization"),
            )
        )
        try:
            return await self._route(request.method, path, request, body)
        finally:
            await self._notify()

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _route(self, method: str, path: str, request: web.Request, body: Any) -> web.Response:
        parts = path.strip("/").split("/")
        # Interaction callbacks and webhook follow-ups are authorised by their token alone.
        if parts[0] == "interactions" and method == "POST" and len(parts) == 4:
            with_response = request.query.get("with_response") == "true"
            return self._callback(parts[1], parts[2], body, with_response=with_response)
        if parts[0] == "webhooks" and len(parts) >= 3:
            return self._webhook(method, parts, body)
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        if (statuses := self.fail_next.get(f"{method} {parts[0]}")) and statuses:
            status = statuses.pop(0)
            return _error(status, 0, f"{status}: injected by the fake")
        if (status := self.down.get(f"{method} {parts[0]}")) is not None:
            return _error(status, 0, f"{status}: outage injected by the fake")
        if parts[0] == "applications" and parts[1:2] != [str(self.application_id)]:
            return _error(404, 10002, "Unknown Application")
        match (method, parts):
            case ("GET", ["gateway", "bot"]):
                return web.json_response(
                    {
                        "url": self.gateway_url,
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 999,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case ("GET", ["oauth2", "applications", "@me"]):
                return web.json_response(self._application())
            case ("GET", ["users", "@me"]):
                # Discord's own user object: the public fields plus the account's own.
                me = payloads.user(self.bot_id, "yulelog", bot=True)
                return web.json_response(
                    me | {"mfa_enabled": False, "flags": 0, "verified": True, "email": None}
                )
            case ("GET", ["applications", _, "commands"]):
                return web.json_response(self.commands.get(None, []))
            case ("PUT", ["applications", _, "commands"]):
                return web.json_response(self._put_commands(None, body))
            case ("GET", ["applications", _, "guilds", guild_id, "commands"]):
                return web.json_response(self.commands.get(int(guild_id), []))
            case ("PUT", ["applications", _, "guilds", guild_id, "commands"]):
                return web.json_response(self._put_commands(int(guild_id), body))
            case ("POST", ["users", "@me", "channels"]):
                return web.json_response(self._dm_channel(int(body["recipient_id"])))
            case ("POST", ["channels", channel_id, "messages"]):
                created = self._create_message(int(channel_id), body)
                lost = self.lose_answer.get("POST channels")
                if created.status == 200 and lost:
                    return self._lose(request, lost.pop(0))
                return created
            case ("GET", ["channels", channel_id, "messages"]):
                return self._channel_messages(int(channel_id), request.query)
        return _error(404, 0, "404: Not Found")

    @staticmethod
    def _lose(request: web.Request, status: int | None) -> web.Response:
        if status is not None:
            return _error(status, 0, f"{status}: created, but the fake lost the answer")
        if request.transport is not None:
            request.transport.close()  # the bot sees the connection drop
        return web.Response(status=500)  # never arrives

    def _channel_messages(self, channel_id: int, query: Mapping[str, str]) -> web.Response:
        """Discord's channel history: newest first, at most `limit` (1-100, default 50), from
        before or after a message id (at most one of them). Every channel the fake has seen posts
        in is readable; others read as empty."""
        anchors = [key for key in ("before", "after", "around") if key in query]
        try:
            limit = int(query.get("limit", "50"))
            anchor = int(query[anchors[0]]) if anchors else None
        except ValueError:
            return _error(400, 50035, "Invalid Form Body")
        if not 1 <= limit <= 100 or len(anchors) > 1:
            return _error(400, 50035, "Invalid Form Body")
        oldest_first = self.messages.get(channel_id, [])
        if anchors == ["before"]:
            page = [m for m in oldest_first if int(m["id"]) < (anchor or 0)][-limit:]
        elif anchors == ["after"]:
            page = [m for m in oldest_first if int(m["id"]) > (anchor or 0)][:limit]
        elif anchors == ["around"]:
            return _error(400, 0, "this fake does not implement around")
        else:
            page = oldest_first[-limit:]
        return web.json_response(list(reversed(page)))

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "Yulelog (fake)",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": payloads.user(1, "owner"),
            "verify_key": self.public_key_hex,
            "flags": 0,
            "team": None,
            "approximate_guild_count": 1,
            "approximate_user_install_count": 0,
        }

    def _put_commands(self, guild_id: int | None, body: Any) -> list[dict[str, Any]]:
        created = []
        for command in body:
            stored = dict(command)
            stored.setdefault("type", 1)
            stored.setdefault("description", "")
            stored.setdefault("default_member_permissions", None)
            stored.setdefault("options", [])
            if stored["default_member_permissions"] is not None:
                stored["default_member_permissions"] = str(stored["default_member_permissions"])
            stored |= {
                "id": str(payloads.snowflake()),
                "application_id": str(self.application_id),
                "version": str(payloads.snowflake()),
            }
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            created.append(stored)
        self.commands[guild_id] = created
        return created

    def _callback(
        self, interaction_id: str, token: str, body: Any, *, with_response: bool
    ) -> web.Response:
        answered = self.callbacks.setdefault(interaction_id, [])
        if answered:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        answered.append(body)
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        message = self._message(0, data.get("content"), flags)
        self.originals[token] = message
        if body["type"] == 5:
            self._loading.add(token)
        if not with_response:
            return web.Response(status=204)
        callback: dict[str, Any] = {
            "id": interaction_id,
            "type": 2,
            "response_message_id": message["id"],
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool(flags & 64),
        }
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] == 4:
            resource["message"] = message
        return web.json_response({"interaction": callback, "resource": resource})

    def _webhook(self, method: str, parts: list[str], body: Any) -> web.Response:
        token = parts[2]
        if method == "POST" and len(parts) == 3:
            if token in self._loading:
                # Discord: the first follow-up after a deferral edits the loading message, and
                # keeps the deferral's flags (an existing message's visibility cannot change).
                self._loading.discard(token)
                message = self.originals[token]
                message.update(content=body.get("content") or "")
            else:
                flags = body.get("flags") or 0
                message = self._message(0, body.get("content"), flags, webhook=True)
            self.followups.setdefault(token, []).append(message)
            return web.json_response(message)
        if method == "PATCH" and parts[3:] == ["messages", "@original"]:
            original = self.originals.get(token)
            if original is None:
                return _error(404, 10008, "Unknown Message")
            self._loading.discard(token)
            original.update(content=body.get("content", original["content"]))
            return web.json_response(original)
        return _error(404, 0, "404: Not Found")

    def _dm_channel(self, user_id: int) -> dict[str, Any]:
        channel_id = self.dm_channels.setdefault(user_id, payloads.snowflake())
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "recipients": [payloads.user(user_id)],
        }

    def _create_message(self, channel_id: int, body: Any) -> web.Response:
        recipient = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if recipient is not None and recipient in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        content = body.get("content") or ""
        if len(content) > CONTENT_MAX_CHARS:
            return _error(400, 50035, "Invalid Form Body: content must be 2000 or fewer in length")
        nonce = body.get("nonce")
        now = self.clock()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None and now - seen[0] < self.nonce_ttl:
                return web.json_response(seen[1])
        message = self._message(channel_id, body.get("content"), body.get("flags", 0))
        if nonce is not None:
            message["nonce"] = nonce
            if body.get("enforce_nonce"):
                self._nonces[(channel_id, str(nonce))] = (now, message)
        self.messages.setdefault(channel_id, []).append(message)
        return web.json_response(message)

    def _message(
        self, channel_id: int, content: str | None, flags: int, *, webhook: bool = False
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(payloads.snowflake()),
            "channel_id": str(channel_id),
            "author": payloads.user(self.bot_id, "yulelog", bot=True),
            "content": content or "",
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": flags or 0,
            "components": [],
        }
        if webhook:
            message |= {
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
            }
        return message

    # -- REST: arranging what the bot will find ---------------------------------------------------

    def forget_nonces(self) -> None:
        """Discord's nonce memory runs out (after a few minutes): a repeated nonce posts again."""
        self._nonces.clear()

    def add_message(self, channel_id: int, content: str, *, author_id: int) -> dict[str, Any]:
        """A message someone (a member, or another bot) posted in the channel."""
        message = self._message(channel_id, content, 0)
        message["author"] = payloads.user(author_id)
        self.messages.setdefault(channel_id, []).append(message)
        return message
