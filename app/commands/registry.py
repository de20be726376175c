"""All commands of the bot, bound to one App: the list every front end registers."""

from __future__ import annotations

from app.bootstrap import App
from app.commands.admin import admin_specs
from app.commands.santa import santa_specs
from app.commands.spec import CommandSpec


def all_specs(app: App) -> list[CommandSpec]:
    return [*santa_specs(app), *admin_specs(app)]
