"""New-VM's and Set-VMMemory's memory rules, as the product sends them: amounts Windows refuses
(not a multiple of 2 MB, below 32 MB, above the generation's maximum) and the only changes
Hyper-V makes to a running VM with dynamic memory."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines

Run = Callable[[str], RunResult]
NEW_VM = (
    "New-VM -Name m -Generation 2 -MemoryStartupBytes {memory} "
    "-NewVHDPath C:\\VMs\\m.vhdx -NewVHDSizeBytes 1GB | Out-Null"
)


def fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def memory(ps: Run) -> list[str]:
    r = ps(
        "$m = Get-VMMemory -VMName m\n"
        '"$($m.DynamicMemoryEnabled) $($m.Minimum / 1MB) $($m.Startup / 1MB) $($m.Maximum / 1MB)"'
    )
    assert not errors(r)
    return lines(r)


def test_new_vm_with_memory_not_a_multiple_of_2_mb_fails_and_leaves_nothing(
    ps: Run, world: World
) -> None:
    """Windows 10's answer to New-VM -MemoryStartupBytes 4077MB, recorded in
    github.com/kubernetes/minikube/issues/6964 (the VM does not exist afterwards:
    Get-VM then answers 'unable to find a virtual machine with name'):
        Hyper-V\\New-VM : Failed to modify device 'Memory'.
        Invalid memory value assigned for 'minikube'. Memory values must be properly aligned.
        'minikube' failed to modify device 'Memory'. (Virtual machine ID 06BCBFDB-...)
        Invalid memory value assigned for 'minikube'. The memory value assigned ('4077' MB) is
        not properly aligned. Try again with a memory value that is properly aligned. (...)
    """
    r = ps(NEW_VM.format(memory="4077MB"))
    [message] = errors(r)
    first, _, _, last = message.split("\n")
    assert first == "Failed to modify device 'Memory'."
    assert last.startswith(
        "Invalid memory value assigned for 'm'. The memory value assigned ('4077' MB) is not "
        "properly aligned. Try again with a memory value that is properly aligned. (Virtual "
        "machine ID "
    )
    assert "Memory values must be properly aligned." in message
    assert fqids(r) == ["OperationFailed,Microsoft.HyperV.PowerShell.Commands.NewVM"]
    r = ps("@(Get-VM).Count\nTest-Path -LiteralPath C:\\VMs\\m.vhdx")
    assert lines(r) == ["0", "False"]
    r = ps(NEW_VM.format(memory="4078MB") + "\n(Get-VM -Name m).MemoryStartup / 1MB")
    assert not errors(r) and lines(r) == ["4078"]


def test_new_vm_below_32_mb_or_above_the_generation_maximum_fails(ps: Run) -> None:
    """Hyper-V's least memory is 32 MB (Hyper-V Dynamic Memory Overview: minimum RAM "can be set
    as low as 32 MB"; startup is at least the minimum); a generation 1 VM has at most 1 TB
    ("Plan for Hyper-V scalability in Windows Server": "Memory: 12 TB for generation 2; 1 TB
    for generation 1" on 2016/2019; 240 TB for generation 2 on 2022). Nothing is left."""
    r = ps(NEW_VM.format(memory="30MB"))
    assert len(errors(r)) == 1 and "at least 32 MB" in errors(r)[0]
    r = ps(
        "New-VM -Name big -Generation 1 -MemoryStartupBytes 2TB -NoVHD | Out-Null\n"
        "New-VM -Name big2 -Generation 2 -MemoryStartupBytes 2TB -NoVHD | Out-Null\n"
        "(Get-VM).Name"
    )
    [message] = errors(r)
    assert message.startswith("Failed to modify device 'Memory'.")
    assert "at most 1048576 MB" in message
    assert lines(r) == ["big2"]


def test_set_vmmemory_amounts_must_be_aligned_the_dynamic_ones_too(ps: Run) -> None:
    """Set-VMMemory modifies the same device: the startup amount, and with dynamic memory the
    minimum and maximum, must be multiples of 2 MB (Windows' text as in minikube#6964)."""
    assert not errors(ps(NEW_VM.format(memory="1GB")))
    r = ps("Set-VMMemory -VMName m -StartupBytes 1023MB")
    assert "The memory value assigned ('1023' MB) is not properly aligned." in errors(r)[0]
    r = ps(
        "Set-VMMemory -VMName m -DynamicMemoryEnabled $true -MinimumBytes 511MB "
        "-StartupBytes 1GB -MaximumBytes 2GB"
    )
    assert len(errors(r)) == 1
    assert "The memory value assigned ('511' MB) is not properly aligned." in errors(r)[0]
    r = ps(
        "Set-VMMemory -VMName m -DynamicMemoryEnabled $true -MinimumBytes 512MB "
        "-StartupBytes 1GB -MaximumBytes 2047MB"
    )
    assert "The memory value assigned ('2047' MB) is not properly aligned." in errors(r)[0]
    assert memory(ps) == ["False 512 1024 1048576"]


def test_running_vm_with_dynamic_memory_only_raises_maximum_or_lowers_minimum(ps: Run) -> None:
    """Hyper-V Dynamic Memory Overview (Windows Server 2012 R2 docs, learn.microsoft.com
    previous-versions hh831766), "Run-time Dynamic Memory configuration changes": "Hyper-V
    enables users to make the following configuration changes to Dynamic Memory when the
    virtual machine is running: Increase the maximum memory. Decrease the minimum memory."
    Changing a running VM's memory without dynamic memory is the Windows Server 2016 runtime
    resize ("even if you haven't enabled Dynamic Memory"); with it, the startup amount stays.
    Refusals are Set-VMMemory's InvalidState, as Windows reports it (hashicorp/packer#8633:
    "FullyQualifiedErrorId : InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVMMemory")."""
    r = ps(
        NEW_VM.format(memory="2GB") + "\n"
        "Set-VMMemory -VMName m -DynamicMemoryEnabled $true -MinimumBytes 1GB -MaximumBytes 4GB\n"
        "Start-VM -VMName m"
    )
    assert not errors(r)
    state = ["True 1024 2048 4096"]
    assert memory(ps) == state
    for change in (
        "-StartupBytes 3GB",
        "-StartupBytes 3GB -DynamicMemoryEnabled $true",  # what the product's update sends
        "-MinimumBytes 1536MB",
        "-MaximumBytes 3GB",
    ):
        r = ps(f"Set-VMMemory -VMName m {change}")
        assert len(errors(r)) == 1, change
        assert errors(r)[0].startswith("Failed to modify device 'Memory'.")
        assert errors(r)[0].endswith(
            "The operation cannot be performed while the virtual machine is in its current state."
        )
        assert fqids(r) == ["InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVMMemory"]
        assert memory(ps) == state
    assert not errors(ps("Set-VMMemory -VMName m -MaximumBytes 8GB -MinimumBytes 512MB"))
    assert memory(ps) == ["True 512 2048 8192"]
    assert not errors(
        ps("Stop-VM -VMName m -TurnOff -Force\nSet-VMMemory -VMName m -StartupBytes 3GB")
    )
    assert memory(ps) == ["True 512 3072 8192"]
