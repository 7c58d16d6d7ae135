"""-WhatIf on a command that changes state prints what it would do and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines

Run = Callable[[str], RunResult]


def _state(world: World) -> str:
    data = world.to_json()
    data.pop("executed")
    data.pop("executed_total")
    return json.dumps(data, sort_keys=True)


def test_changing_cmdlets_under_what_if_change_nothing(ps: Run, world: World) -> None:
    assert not errors(
        ps(
            "New-VM -Name keep -Generation 2 | Out-Null\nNew-Item -ItemType Directory C:\\Keep | Out-Null"
        )
    )
    before = _state(world)
    r = ps(
        "New-VM -Name other -Generation 2 -WhatIf\n"
        "Remove-VM -Name keep -Force -WhatIf\n"
        "Set-VMProcessor -VMName keep -Count 4 -WhatIf\n"
        "Start-VM -Name keep -WhatIf\n"
        "Remove-Item -LiteralPath C:\\Keep -Recurse -WhatIf\n"
        "New-VMSwitch -Name sw -SwitchType Internal -WhatIf"
    )
    assert not errors(r)
    assert lines(r) == [
        'What if: Performing the operation "New-VM" on target "other".',
        'What if: Performing the operation "Remove-VM" on target "keep".',
        'What if: Performing the operation "Set-VMProcessor" on target "keep".',
        'What if: Performing the operation "Start-VM" on target "keep".',
        'What if: Performing the operation "Remove-Item" on target "C:\\Keep".',
        'What if: Performing the operation "New-VMSwitch" on target "sw".',
    ]
    assert _state(world) == before


def test_what_if_false_and_reading_commands_run(ps: Run, world: World) -> None:
    r = ps("New-VM -Name made -Generation 2 -WhatIf:$false | Out-Null\n(Get-VM -Name made).Name")
    assert not errors(r)
    assert lines(r) == ["made"]
