"""The reference line at the end of every message the bot sends, derived from its message id.

A message the log records as due is shown as its text plus one line of Discord's small subtext,
`-# ref 3f9a0c51e2`: ten hex digits of a hash of the message id. It lets the DM dispatcher find
out, by reading a channel's recent messages, whether a send whose answer it never got reached
Discord after all (see `app.adapters.discord.dispatcher`); for people it is an unobtrusive id to
quote when asking about a message. The console prints the same content, so both front ends show
a message the same way.

The reference is 40 bits of BLAKE2b over the message id: stable across processes and versions,
and says nothing beyond what the message itself does (message ids are a per-season counter).
"""

from __future__ import annotations

import hashlib
from typing import Final

#: Discord's limit on a message's content, in characters.
CONTENT_MAX_CHARS: Final = 2000
#: `-# ` at the start of a line is Discord's subtext (small, dimmed text).
REFERENCE_PREFIX: Final = "-# ref "
REFERENCE_HEX_DIGITS: Final = 10
_PERSON: Final = b"yulelog/ref"  # keeps these hashes apart from any other use of the message id


def reference_for(message_id: str) -> str:
    """The message's reference: ten lowercase hex digits, the same in every process."""
    digest = hashlib.blake2b(
        message_id.encode("utf-8"), digest_size=REFERENCE_HEX_DIGITS // 2, person=_PERSON
    )
    return digest.hexdigest()


def reference_line(message_id: str) -> str:
    """The line the message ends with, e.g. `-# ref 3f9a0c51e2`."""
    return REFERENCE_PREFIX + reference_for(message_id)


def with_reference(text: str, message_id: str) -> str:
    """`text` followed by its reference line: what the recipient sees.

    The line never makes a text that fitted Discord's limit too long: such a text loses its last
    characters (ending in "…") to make room. A text already over the limit is left as it is, and
    Discord refuses it as it would have without the line.
    """
    line = reference_line(message_id)
    room = CONTENT_MAX_CHARS - len(line) - 1
    if room < len(text) <= CONTENT_MAX_CHARS:
        text = text[: room - 1] + "…"
    return f"{text}\n{line}"


def carries_reference(content: str, message_id: str) -> bool:
    """Whether `content` ends with the reference line of `message_id`."""
    last = content.rstrip().rsplit("\n", 1)[-1]
    return last.strip() == reference_line(message_id)
