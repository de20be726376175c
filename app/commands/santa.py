"""The `/santa …` commands: option specs, and handlers that turn an invocation into a domain command.

Writes go through `App.santa` (the one command path); reads come from the read models. Replies that
name a giftee, a Santa's message or a wishlist are ephemeral; nothing here ever tells a member who
their Santa is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.bootstrap import App
from app.commands.spec import (
    CommandSpec,
    Invocation,
    OptionError,
    OptionKind,
    OptionSpec,
    Reply,
    fit_reply,
)
from app.domain import santa as s
from app.projections import santa as views
from app.projections import santa_history as hist

E = TypeVar("E", s.AddExclusion, s.RemoveExclusion)


def santa_specs(app: App) -> list[CommandSpec]:
    """Every `/santa` command bound to `app`."""

    async def start(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        year = int(o["year"])
        cmd = s.OpenSeason(
            guild_id=inv.guild_id,
            actor_id=inv.user_id,
            actor_is_admin=inv.is_admin,
            actor_name=inv.user_name,
            year=year,
            budget=o.get("budget", ""),
            signup_deadline=_deadline(o.get("signup_deadline"), year, 12, 1, "signup_deadline"),
            gift_deadline=_deadline(o.get("gift_deadline"), year, 12, 24, "gift_deadline"),
            single_loop=bool(o.get("single_loop", False)),
            avoid_past_years=int(o.get("avoid_years", s.AVOID_PAST_YEARS_DEFAULT)),
        )
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        loop = " as one single loop" if cmd.single_loop else ""
        budget = f" Budget: {cmd.budget.strip()}." if cmd.budget.strip() else ""
        return Reply(
            f"The {year} Secret Santa is open{loop}! Join with /santa join.{budget} "
            f"Sign up by {cmd.signup_deadline:%Y-%m-%d}; gifts by {cmd.gift_deadline:%Y-%m-%d}.",
            ephemeral=False,
        )

    async def join(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.JoinSeason(
            guild_id=inv.guild_id,
            actor_id=inv.user_id,
            actor_is_admin=inv.is_admin,
            display_name=inv.user_name,
            wishlist=o.get("wishlist", ""),
        )
        outcome = await app.santa(cmd, idempotency_key=inv.interaction_id)
        if any(isinstance(e, s.ParticipantSplicedIn) for e in outcome.events):
            return Reply("You joined after the draw and were given a giftee: see /santa whois.")
        hint = "" if cmd.wishlist.strip() else " Add a wishlist with /santa wishlist."
        return Reply(f"You're in! Welcome to the Secret Santa.{hint}")

    async def leave(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.LeaveSeason(guild_id=inv.guild_id, actor_id=inv.user_id)
        outcome = await app.santa(cmd, idempotency_key=inv.interaction_id)
        if any(isinstance(e, s.SpliceRefused) for e in outcome.events):
            return Reply(
                "You can't be taken out of the drawn circle without spoiling it; "
                "the organiser has been told and will sort it out with you."
            )
        return Reply("You have left the Secret Santa.")

    async def wishlist(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.UpdateWishlist(guild_id=inv.guild_id, actor_id=inv.user_id, wishlist=o["text"])
        outcome = await app.santa(cmd, idempotency_key=inv.interaction_id)
        told = any(isinstance(e, s.DirectMessageDue) for e in outcome.events)
        return Reply("Wishlist saved." + (" Your Santa has been told." if told else ""))

    async def exclude(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = _exclusion(s.AddExclusion, inv, o)
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        arrow = "and" if cmd.two_way else "won't give to"
        tail = " won't be paired either way." if cmd.two_way else "."
        return Reply(f"Exclusion saved: <@{cmd.giver_id}> {arrow} <@{cmd.receiver_id}>{tail}")

    async def unexclude(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        await app.santa(_exclusion(s.RemoveExclusion, inv, o), idempotency_key=inv.interaction_id)
        return Reply("Exclusion removed.")

    async def draw(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.DrawAssignments(
            guild_id=inv.guild_id,
            actor_id=inv.user_id,
            actor_is_admin=inv.is_admin,
            any_valid=bool(o.get("any_valid", False)),
        )
        outcome = await app.santa(cmd, idempotency_key=inv.interaction_id)
        drawn = next(e for e in outcome.events if isinstance(e, s.AssignmentsDrawn))
        text = (
            f"The names are drawn: {len(drawn.assignments)} Santas will get a DM with their giftee."
        )
        if drawn.relaxed_years:
            years = ", ".join(str(y) for y in drawn.relaxed_years)
            text += (
                f" To make a draw possible, {len(drawn.repeated_pairs)} pair(s) from {years} "
                "had to be allowed again."
            )
        return Reply(text, ephemeral=False)

    async def whois(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        view = views.member_view(
            app.view(views.SantaMemberViewsProjection), inv.guild_id, inv.user_id
        )
        if view is None:
            return Reply("You are not in this server's open Secret Santa.")
        if view.giftee_id is None:
            return Reply("The names haven't been drawn yet; you'll get a DM when they are.")
        lines = [
            f"You are the Secret Santa of {view.giftee_name} (<@{view.giftee_id}>, id {view.giftee_id})."
        ]
        lines.append(f"Their wishlist: {view.giftee_wishlist or '(none yet)'}")
        for m in view.messages_from_santa[-5:]:
            lines.append(f"From your Santa: {m.text}")
        for m in view.messages_from_giftee[-5:]:
            lines.append(f"From your giftee: {m.text}")
        return Reply(fit_reply("\n".join(lines)))

    async def message(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.SendAnonymousMessage(
            guild_id=inv.guild_id, actor_id=inv.user_id, to=o["to"], text=o["text"]
        )
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        who = "your giftee" if cmd.to == "giftee" else "your Santa"
        return Reply(f"Message sent anonymously to {who}.")

    async def sent(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.MarkGiftSent(guild_id=inv.guild_id, actor_id=inv.user_id)
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        return Reply("Marked your gift as sent. Thank you, Santa!")

    async def received(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.MarkGiftReceived(guild_id=inv.guild_id, actor_id=inv.user_id)
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        return Reply("Marked your gift as received. Merry Christmas!")

    async def status(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        season = views.current_season(app.view(views.SantaSeasonsProjection), inv.guild_id)
        counts = views.organiser_view(app.view(views.SantaOrganiserProjection), inv.guild_id)
        if season is None or counts is None:
            return Reply(
                "There is no open Secret Santa on this server. Start one with /santa start."
            )
        lines = [
            f"Secret Santa {season.year}: {season.status}, organised by {season.organiser_name}.",
            f"Participants: {counts.joined}. Budget: {season.budget or 'not set'}.",
            f"Sign-up by {season.signup_deadline:%Y-%m-%d}; gifts by {season.gift_deadline:%Y-%m-%d}.",
        ]
        if counts.drawn:
            lines.append(
                f"Drawn ({'single loop' if season.single_loop else counts.algorithm}). "
                f"DMs delivered {counts.dms_delivered}, failed {counts.dms_failed}, "
                f"waiting {counts.dms_due - counts.dms_delivered - counts.dms_failed}."
            )
            lines.append(f"Gifts sent {counts.gifts_sent}, received {counts.gifts_received}.")
        if counts.unreachable_members and (inv.is_admin or inv.user_id == season.organiser_id):
            who = ", ".join(f"<@{m}>" for m in counts.unreachable_members)
            lines.append(
                f"Could not deliver the draw notice to: {who} (see the alert DMs for why)."
            )
        return Reply(fit_reply("\n".join(lines)))

    async def history(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        state = app.view(hist.SantaHistoryProjection)
        member = int(o.get("member", inv.user_id))
        # Past pairs are revealed to the member themselves; someone else's only to Manage Server.
        may_see = member == inv.user_id or inv.is_admin
        rows = hist.member_history(state, inv.guild_id, member) if may_see else []
        table = hist.guild_table(state, inv.guild_id)
        if not table:
            return Reply("This server has no Secret Santa history yet.")
        lines = ["Year | people | sent | received | completion"]
        for t in table:
            rate = "-" if t.completion_rate is None else f"{t.completion_rate:.0%}"
            lines.append(
                f"{t.year} | {t.participants} | {t.gifts_sent} | {t.gifts_received} | {rate} ({t.status})"
            )
        who = "You" if member == inv.user_id else f"<@{member}>"
        if rows:
            lines.append(f"{who}, in closed seasons:")
            for r in rows:
                gave = f"gave to {r.gave_to_name or '-'}" + (" (sent)" if r.sent else "")
                got = f"got from {r.got_from_name or '-'}" + (" (received)" if r.received else "")
                lines.append(f"{r.year}: {gave}; {got}")
        elif not may_see:
            lines.append("Only members with Manage Server can see another member's past pairs.")
        else:
            lines.append(f"{who}: no closed seasons yet.")
        return Reply(fit_reply("\n".join(lines)))

    async def close(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.CloseSeason(
            guild_id=inv.guild_id, actor_id=inv.user_id, actor_is_admin=inv.is_admin
        )
        outcome = await app.santa(cmd, idempotency_key=inv.interaction_id)
        year = next(e.year for e in outcome.events if isinstance(e, s.SeasonClosed))
        return Reply(
            f"The {year} Secret Santa is closed and archived into the history.", ephemeral=False
        )

    async def remove(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        cmd = s.RemoveParticipant(
            guild_id=inv.guild_id,
            actor_id=inv.user_id,
            actor_is_admin=inv.is_admin,
            member_id=int(o["member"]),
        )
        await app.santa(cmd, idempotency_key=inv.interaction_id)
        return Reply(f"<@{cmd.member_id}> was removed from the Secret Santa.")

    member = OptionSpec("member", OptionKind.USER, "the member")
    giver = OptionSpec("giver", OptionKind.USER, "who must not give", required=True)
    receiver = OptionSpec("receiver", OptionKind.USER, "to whom", required=True)
    both = OptionSpec("both_ways", OptionKind.BOOLEAN, "exclude the reverse pair too")
    date = "a date like 2026-12-24"
    return [
        CommandSpec(
            ("santa", "start"),
            "Open this server's Secret Santa season",
            start,
            (
                OptionSpec(
                    "year",
                    OptionKind.INTEGER,
                    "the season's year",
                    required=True,
                    min_value=s.YEAR_MIN,
                    max_value=s.YEAR_MAX,
                ),
                OptionSpec(
                    "budget",
                    OptionKind.STRING,
                    "gift budget, e.g. 20 EUR",
                    max_length=s.BUDGET_MAX_CHARS,
                ),
                OptionSpec("single_loop", OptionKind.BOOLEAN, "draw one ring through everyone"),
                OptionSpec(
                    "avoid_years",
                    OptionKind.INTEGER,
                    "avoid pairs from this many past years",
                    min_value=0,
                    max_value=s.AVOID_PAST_YEARS_MAX,
                ),
                OptionSpec(
                    "signup_deadline", OptionKind.STRING, f"sign-up deadline, {date}", max_length=32
                ),
                OptionSpec(
                    "gift_deadline", OptionKind.STRING, f"gift deadline, {date}", max_length=32
                ),
            ),
            manage_server=True,
        ),
        CommandSpec(
            ("santa", "join"),
            "Join the Secret Santa",
            join,
            (
                OptionSpec(
                    "wishlist",
                    OptionKind.STRING,
                    "what you'd like",
                    max_length=s.WISHLIST_MAX_CHARS,
                ),
            ),
        ),
        CommandSpec(("santa", "leave"), "Leave the Secret Santa", leave),
        CommandSpec(
            ("santa", "wishlist"),
            "Set your wishlist",
            wishlist,
            (
                OptionSpec(
                    "text",
                    OptionKind.STRING,
                    "your wishlist",
                    required=True,
                    max_length=s.WISHLIST_MAX_CHARS,
                ),
            ),
        ),
        CommandSpec(
            ("santa", "exclude"),
            "Keep two members apart",
            exclude,
            (giver, receiver, both),
            manage_server=True,
        ),
        CommandSpec(
            ("santa", "unexclude"),
            "Remove an exclusion",
            unexclude,
            (giver, receiver, both),
            manage_server=True,
        ),
        CommandSpec(
            ("santa", "draw"),
            "Draw the names (organiser or Manage Server)",
            draw,
            (
                OptionSpec(
                    "any_valid", OptionKind.BOOLEAN, "allow any valid draw instead of a single loop"
                ),
            ),
            cooldown_seconds=10.0,
            slow=True,
        ),
        CommandSpec(("santa", "whois"), "Your giftee and their wishlist (only you see it)", whois),
        CommandSpec(
            ("santa", "message"),
            "Send an anonymous message to your giftee or your Santa",
            message,
            (
                OptionSpec(
                    "to",
                    OptionKind.STRING,
                    "giftee or santa",
                    required=True,
                    choices=("giftee", "santa"),
                ),
                OptionSpec(
                    "text",
                    OptionKind.STRING,
                    "the message",
                    required=True,
                    max_length=s.MESSAGE_MAX_CHARS,
                ),
            ),
            cooldown_seconds=5.0,
        ),
        CommandSpec(("santa", "sent"), "Mark your gift as sent", sent),
        CommandSpec(("santa", "received"), "Mark your gift as received", received),
        CommandSpec(("santa", "status"), "Season status and counts", status),
        CommandSpec(("santa", "history"), "Year-over-year history", history, (member,)),
        CommandSpec(("santa", "close"), "Close and archive the season", close, manage_server=True),
        CommandSpec(
            ("santa", "remove"),
            "Remove a member from the season",
            remove,
            (OptionSpec("member", OptionKind.USER, "the member", required=True),),
            manage_server=True,
        ),
    ]


def _deadline(raw: str | None, year: int, month: int, day: int, name: str) -> datetime:
    """A date option as the end of that day in UTC; the default is a customary date of the year."""
    if raw is None or not raw.strip():
        return datetime(year, month, day, 23, 59, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise OptionError(f"{name} must be a date like {year}-12-24, not {raw!r}.") from None
    if parsed.tzinfo is None:
        parsed = (
            parsed.replace(hour=23, minute=59, tzinfo=UTC)
            if len(raw.strip()) <= 10
            else parsed.replace(tzinfo=UTC)
        )
    if not s.YEAR_MIN <= parsed.year <= s.YEAR_MAX + 1 or parsed.utcoffset() is None:
        raise OptionError(f"{name} must fall between {s.YEAR_MIN} and {s.YEAR_MAX + 1}.")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise OptionError(f"{name} must fall between {s.YEAR_MIN} and {s.YEAR_MAX + 1}.") from None


def _exclusion(cls: type[E], inv: Invocation, o: Mapping[str, Any]) -> E:
    return cls(
        guild_id=inv.guild_id,
        actor_id=inv.user_id,
        actor_is_admin=inv.is_admin,
        giver_id=int(o["giver"]),
        receiver_id=int(o["receiver"]),
        two_way=bool(o.get("both_ways", False)),
    )
