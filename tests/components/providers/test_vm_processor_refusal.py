"""`VmProcessorProvider` on a host that cannot expose the virtualization extensions (an AMD
processor on Windows Server 2016): the refusal is said at preview by reading the host, and in
an update (no read at check) by the create, which reads the host only once Hyper-V refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import PREVIEW_INPUT, ProviderError
from components.providers.vm_processor import VmProcessorProvider
from tests.conftest import Emulator, _new_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(Path(tmp_path_factory.mktemp("amd-2016")), host_profile="server2016-amd")
    yield emu
    emu.stop()


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> VmProcessorProvider:
    made: VmProcessorProvider = provider_factory(VmProcessorProvider)
    return made


def test_refused_at_preview_and_explained_by_the_create_in_an_update(
    provider: VmProcessorProvider, new_vm: Callable[..., str], emulator: Emulator
) -> None:
    new_vm("amd-l1")
    values = {"host": "l0", "vm_name": "amd-l1", "count": 2}
    values["expose_virtualization_extensions"] = True
    preview = provider.check({}, {**values, PREVIEW_INPUT: True})
    assert [f.property for f in preview.failures] == ["expose_virtualization_extensions"]
    assert "has an AMD processor and runs Windows build 14393" in preview.failures[0].reason
    before = emulator.counters()["requests"]
    update = provider.check({}, {**values, PREVIEW_INPUT: False})
    assert update.failures == [] and PREVIEW_INPUT not in update.inputs
    assert emulator.counters()["requests"] == before  # no read of the host in an update
    with pytest.raises(ProviderError) as info:
        provider.create(update.inputs)
    text = str(info.value)
    assert text.startswith("l0: create VmProcessor failed: l0 has an AMD processor")
