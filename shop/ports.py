"""Ports of the platform core: plug-ins every app above `shop` may register.

`shop` sits underneath every other app and imports none of them; an app that has something to
contribute registers it here from its `AppConfig.ready()`, so the wiring is read in the apps'
`apps.py` files rather than in dotted paths in settings.

Demo seeders: `manage.py seed_demo` runs every registered seeder in `order` (lowest first);
each app seeds only its own models, through its services, and must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class DemoSeeder(Protocol):
    """Creates an app's demo data if missing; returns a summary ({what: count}) or None."""

    def __call__(self) -> Any: ...


@dataclass(frozen=True)
class RegisteredSeeder:
    name: str
    seed: DemoSeeder
    order: int


_demo_seeders: dict[str, RegisteredSeeder] = {}


def register_demo_seeder(name: str, seed: DemoSeeder, *, order: int) -> None:
    """Add (or replace, by `name`) a demo seeder run at position `order`."""
    _demo_seeders[name] = RegisteredSeeder(name=name, seed=seed, order=order)


def demo_seeders() -> list[RegisteredSeeder]:
    """The registered demo seeders in the order `seed_demo` runs them (ties by name)."""
    return sorted(_demo_seeders.values(), key=lambda s: (s.order, s.name))


@contextmanager
def override_demo_seeders(seeders: list[tuple[str, Callable[[], Any], int]]) -> Iterator[None]:
    """Replace every registered seeder for a block (tests): [(name, seed, order)]."""
    saved = dict(_demo_seeders)
    _demo_seeders.clear()
    try:
        for name, seed, order in seeders:
            register_demo_seeder(name, seed, order=order)
        yield
    finally:
        _demo_seeders.clear()
        _demo_seeders.update(saved)


# Kill switch targets: which payment methods, shipping methods and promotions exist, so the
# admin offers them by name (shop.admin's KillSwitch form) instead of free text a typo defeats.
KillSwitchTargets = Callable[[], list[tuple[str, str]]]
_kill_switch_targets: dict[str, KillSwitchTargets] = {}


def register_kill_switch_targets(kind: str, targets: KillSwitchTargets) -> None:
    """Say what can be switched off for `kind` (a KillSwitchKind): () -> [(code, label)]."""
    _kill_switch_targets[kind] = targets


def kill_switch_targets(kind: str) -> list[tuple[str, str]] | None:
    """[(code, label)] for `kind`, or None when no app registered its targets."""
    provider = _kill_switch_targets.get(kind)
    return None if provider is None else list(provider())
