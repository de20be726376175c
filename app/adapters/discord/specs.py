"""Lightbulb commands built from the shared `CommandSpec`s, so Discord and the console agree.

A spec names the command, its options with their limits, whether it needs Manage Server, its
cooldown and whether it is slow. This module turns each into a lightbulb slash command (options
with Discord-side limits, the permission and cooldown hooks) whose invocation goes through
`app.commands.run.invoke`, the one place that validates, runs the handler and words refusals.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any, Final

import hikari
import lightbulb

from app.adapters.discord.hooks import (
    MANAGE_SERVER,
    CommandRefused,
    MissingPermission,
    cooldown,
)
from app.adapters.discord.replies import DEFER_AFTER, answer
from app.adapters.discord.services import Reply
from app.commands import run
from app.commands.spec import CommandSpec, Invocation, OptionKind, OptionSpec

GUILD_ONLY: Final = "This command works only inside a server."
ADMIN_PERMISSIONS: Final = MANAGE_SERVER | hikari.Permissions.ADMINISTRATOR


def is_admin(member: hikari.InteractionMember | None) -> bool:
    """Manage Server (or Administrator) in this server: the organiser-level permission."""
    return member is not None and bool(member.permissions & ADMIN_PERMISSIONS)


def spec_invocation(ctx: lightbulb.Context) -> Invocation:
    """The front-end-neutral invocation; refuses outside servers (every spec needs one)."""
    interaction = ctx.interaction
    if interaction.guild_id is None or ctx.member is None:
        raise CommandRefused(GUILD_ONLY)
    return Invocation(
        guild_id=int(interaction.guild_id),
        channel_id=int(interaction.channel_id),
        user_id=int(interaction.user.id),
        user_name=ctx.member.display_name,
        is_admin=is_admin(ctx.member),
        interaction_id=str(interaction.id),
    )


def _permission_hook(spec: CommandSpec) -> lightbulb.ExecutionHook:
    """Manage Server for organiser commands, worded as every front end words it.

    The season's organiser may run some of them without the permission (the domain checks who the
    organiser is), so those are left to the command path's own check.
    """

    @lightbulb.hook(lightbulb.ExecutionSteps.CHECKS, skip_when_failed=True, name="spec_permission")
    def _check(_: lightbulb.ExecutionPipeline, ctx: lightbulb.Context) -> None:
        if ctx.guild_id is None or ctx.member is None:
            raise MissingPermission(GUILD_ONLY)
        if not is_admin(ctx.member) and not run.organiser_may(spec):
            raise MissingPermission(run.NEEDS_MANAGE_SERVER.format(name=spec.name))

    return _check


def _option(opt: OptionSpec) -> Any:
    default: Any = hikari.UNDEFINED if opt.required else None
    if opt.kind is OptionKind.STRING:
        choices = [lightbulb.Choice(c, c) for c in opt.choices] if opt.choices else hikari.UNDEFINED
        return lightbulb.string(
            opt.name,
            opt.description,
            default=default,
            choices=choices,
            max_length=opt.max_length if opt.max_length is not None else hikari.UNDEFINED,
        )
    if opt.kind is OptionKind.INTEGER:
        return lightbulb.integer(
            opt.name,
            opt.description,
            default=default,
            min_value=opt.min_value if opt.min_value is not None else hikari.UNDEFINED,
            max_value=opt.max_value if opt.max_value is not None else hikari.UNDEFINED,
        )
    if opt.kind is OptionKind.BOOLEAN:
        return lightbulb.boolean(opt.name, opt.description, default=default)
    if opt.kind is OptionKind.USER:
        return lightbulb.user(opt.name, opt.description, default=default)
    return lightbulb.channel(opt.name, opt.description, default=default)


def _plain(value: Any) -> Any:
    """Spec handlers take ids for users and channels, as the console gives them."""
    if isinstance(value, hikari.PartialUser | hikari.PartialChannel):
        return int(value.id)
    return value


def _to_reply(reply: Any) -> Reply:
    return Reply(text=str(reply.text), ephemeral=bool(reply.ephemeral))


def command_for(spec: CommandSpec) -> type[lightbulb.SlashCommand]:
    """One lightbulb slash command class for `spec` (the leaf of its path)."""
    hooks: list[lightbulb.ExecutionHook] = []
    if spec.manage_server:
        hooks.append(_permission_hook(spec))
    if spec.cooldown_seconds > 0:
        hooks.append(cooldown(spec.cooldown_seconds, allowed=1))
    # Discord lists required options first; keep the spec's order otherwise.
    ordered = sorted(spec.options, key=lambda o: not o.required)
    attributes = {f"opt_{o.name}": o for o in ordered}
    defer_after = 0.0 if spec.slow else DEFER_AFTER

    async def invoke(self: lightbulb.SlashCommand, ctx: lightbulb.Context) -> None:
        invocation = spec_invocation(ctx)
        values = {
            o.name: _plain(v)
            for attr, o in attributes.items()
            if (v := getattr(self, attr)) is not None
        }

        async def work() -> Reply:
            return _to_reply(await run.invoke(spec, invocation, values))

        await answer(ctx, work(), secret=False, defer_after=defer_after)

    def body(namespace: dict[str, Any]) -> None:
        for attr, opt in attributes.items():
            namespace[attr] = _option(opt)
        namespace["invoke"] = lightbulb.invoke(invoke)

    kwargs = {"name": spec.path[-1], "description": spec.description, "hooks": hooks}
    cls_name = "".join(p.title() for p in spec.path) + "Command"
    return types.new_class(cls_name, (lightbulb.SlashCommand,), kwargs, body)


def loader_for_specs(
    specs: Sequence[CommandSpec],
    descriptions: Mapping[str, str] | None = None,
    *,
    groups: Mapping[str, lightbulb.Group] | None = None,
) -> lightbulb.Loader:
    """A loader with every spec as a guild-only slash command, grouped by the path's first word.

    `descriptions` gives each new group's description (defaults to its name); `groups` are
    existing groups (e.g. the adapter's `/admin`) that specs under the same name join, since
    Discord allows one top-level command per name.
    """
    loader = lightbulb.Loader()
    by_name: dict[str, lightbulb.Group] = dict(groups or {})
    subgroups: dict[tuple[str, str], Any] = {}
    for spec in specs:
        command = command_for(spec)
        if len(spec.path) == 1:
            loader.command(command)
            continue
        top = spec.path[0]
        group = by_name.get(top)
        if group is None:
            group = by_name[top] = lightbulb.Group(
                top,
                (descriptions or {}).get(top, top),
                contexts=[hikari.ApplicationContextType.GUILD],
            )
        if len(spec.path) == 2:
            group.register(command)
        else:
            key = (top, spec.path[1])
            sub = subgroups.get(key)
            if sub is None:
                sub = subgroups[key] = group.subgroup(spec.path[1], spec.path[1])
            sub.register(command)
    for group in by_name.values():
        loader.command(group)
    return loader
