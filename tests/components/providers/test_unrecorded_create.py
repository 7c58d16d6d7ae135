"""A create that succeeded but whose result the engine never recorded (`pulumi up` killed
between the provider's reply and the engine's checkpoint): the object exists, the state does
not hold it, and the next `up` creates it again. The journal keeps such creates as
"unrecorded" until the engine shows the object back, so the next create takes it over (and
says how to clear the engine's pending-operation warning) instead of refusing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.providers.base import HostBoundProvider, ProviderError
from tests.components.providers.conftest import ps_literal
from tests.components.providers.test_lost_create_reply import (  # noqa: F401 (fixtures)
    Kind,
    emulator,
    make,
)

CLEAR_COMMAND = "pulumi refresh --yes --clear-pending-creates"


@pytest.mark.parametrize("kind_name", ["VmSwitch", "NetNat"])
def test_a_create_the_engine_never_recorded_is_taken_over_by_the_next_one(
    kind_name: str,
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],  # noqa: F811
    provider_factory: Callable[[type[Any]], Any],
    host_json: Callable[[str], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    kind, provider, inputs = make(kind_name)
    name = inputs["name"]
    provider.create(inputs)  # the killed run's create: its result never reached the state

    again = provider_factory(kind.provider)  # the next `pulumi up`
    with caplog.at_level("WARNING"):
        created = again.create(inputs)  # no adopt_existing: it is its own leftover
    assert int(host_json(kind.count(name))) == 1
    warned = [r.getMessage() for r in caplog.records if CLEAR_COMMAND in r.getMessage()]
    assert len(warned) == 1 and "\n" not in warned[0], caplog.text

    # Once the engine shows it back (here: its diff), the object is the state's, and an
    # object of that name is never taken over again without adopt_existing.
    again.diff(created.id, dict(created.outs), inputs)
    with pytest.raises(ProviderError) as info:
        provider_factory(kind.provider).create(inputs)
    assert str(info.value) == kind.refusal(name)
    again.delete(created.id, dict(created.outs))
    assert int(host_json(kind.count(name))) == 0


def test_delete_forgets_the_create(
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],  # noqa: F811
    provider_factory: Callable[[type[Any]], Any],
    host_ps: Callable[[str], str],
) -> None:
    kind, provider, inputs = make("VmSwitch")
    created = provider.create(inputs)
    provider.delete(created.id, dict(created.outs))
    host_ps(kind.make_by_hand(inputs["name"]))  # someone else's switch of that name, later
    with pytest.raises(ProviderError) as info:
        provider_factory(kind.provider).create(inputs)
    assert str(info.value) == kind.refusal(inputs["name"])
    host_ps(
        f"Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(inputs['name'])} }} | "
        "Remove-VMSwitch -Force"
    )
