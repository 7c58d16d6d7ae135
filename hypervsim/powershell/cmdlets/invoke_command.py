"""Invoke-Command: PowerShell Direct into a VM (-VMName / -VMId) or a local script block.

The block runs on the VM's guest `Computer` (which may itself host VMs, to any depth), only
while the VM runs and its guest OS is up; otherwise Windows' PowerShell Direct errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import flatten, report, strings
from hypervsim.powershell.values import SecureString, to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.guest_os import check_credential
from hypervsim.world.model import VM, Computer

L = ParamKind.LIST
S = ParamKind.SWITCH
CLS = "Microsoft.PowerShell.Commands.InvokeCommandCommand"


def _err(message: str, reason: str, category: str, target: str | None = None) -> WorldError:
    return WorldError(
        message,
        reason=reason,
        category=category,
        exception_type="System.ArgumentException",
        target=target,
        fqid=f"{reason},{CLS}",
    )


def _resolve(inv: Invocation) -> list[VM]:
    host = inv.computer
    out: list[VM] = []
    for name in strings(inv.bound.get("VMName")):
        hits = (
            [vm for vm in host.vms if vm.name.lower() == name.lower()] if host.hyperv_active else []
        )
        if len(hits) != 1:
            report(
                inv,
                _err(
                    f"The input VMName {name} does not resolve to a single virtual machine.",
                    "InvalidVMNameNotSingle",
                    "InvalidArgument",
                    name,
                ),
            )
            continue
        out.append(hits[0])
    for vm_id in strings(inv.bound.get("VMId")):
        vm = host.vm_by_id(vm_id) if host.hyperv_active else None
        if vm is None:
            report(
                inv,
                _err(
                    f"The input VMId {vm_id} does not resolve to a single virtual machine.",
                    "InvalidVMIdNotSingle",
                    "InvalidArgument",
                    vm_id,
                ),
            )
            continue
        out.append(vm)
    return out


@cmdlet(
    "Invoke-Command",
    Param("ScriptBlock", position=0, aliases=("Command",)),
    Param("VMName", L, aliases=("VMGuid",)),
    Param("VMId", L),
    Param("ComputerName", L, aliases=("Cn",)),
    Param("Credential"),
    Param("Session", L),
    Param("ArgumentList", L, aliases=("Args",)),
    Param("InputObject", from_pipeline=True),
    Param("NoNewScope", S),
    Param("HideComputerName", S),
    Param("ErrorVariable"),
    module="Microsoft.PowerShell.Core",
    aliases=("icm",),
)
def invoke_command(inv: Invocation) -> Iterable[Any]:
    block = inv.bound.get("ScriptBlock")
    args = (
        flatten(inv.bound.get("ArgumentList")) if inv.bound.get("ArgumentList") is not None else []
    )
    out: list[Any] = []
    if inv.bound.get("Session") is not None:
        for vm in session_vms(inv):
            if vm.state != "Running" or vm.guest is None or not vm.guest_up:
                report(inv, session_broken(vm))
                continue
            out += inv.invoke(block, args, computer=vm.guest)
        return out
    if inv.bound.get("VMName") is None and inv.bound.get("VMId") is None:
        names = strings(inv.bound.get("ComputerName"))
        local = {"localhost", ".", "127.0.0.1", inv.computer.name.lower()}
        for n in names:
            if n.lower() not in local:
                report(
                    inv,
                    WorldError(
                        f"Connecting to remote server {n} failed with the following error message : WinRM cannot process the request. "
                        "The following error occurred while using Kerberos authentication: Cannot find the computer "
                        f"{n}. Verify that the computer exists on the network and that the name provided is spelled correctly. "
                        "For more information, see the about_Remote_Troubleshooting Help topic.",
                        reason="NetworkPathNotFound",
                        category="OpenError",
                        exception_type="System.Management.Automation.Remoting.PSRemotingTransportException",
                        target=n,
                        fqid="NetworkPathNotFound,PSSessionStateBroken",
                    ),
                )
                return []
        return inv.invoke(block, args)
    for vm in _resolve(inv):
        if connect(inv, vm):
            assert vm.guest is not None
            out += inv.invoke(block, args, computer=vm.guest)
    return out


def connect(inv: Invocation, vm: VM) -> bool:
    """PowerShell Direct's checks before a session into `vm` opens (errors reported)."""
    if inv.bound.get("Credential") is None:
        report(
            inv,
            _err("The credential is invalid.", "InvalidCredential", "InvalidArgument", vm.name),
        )
        return False
    if vm.state != "Running":
        report(
            inv,
            _err(
                f"The virtual machine {vm.name} is not in running state.",
                "InvalidVMState",
                "InvalidOperation",
                vm.name,
            ),
        )
        return False
    if vm.guest is None or not vm.guest_up:
        report(inv, session_broken(vm))
        return False
    if not credential_valid(vm.guest, inv.bound.get("Credential")):
        report(
            inv,
            _err("The credential is invalid.", "InvalidCredential", "InvalidArgument", vm.name),
        )
        return False
    return True


def session_broken(vm: VM) -> WorldError:
    """What a caller gets when the VM runs but no guest OS answers PowerShell Direct."""
    return WorldError(
        "An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.",
        reason="PSSessionStateBroken",
        category="OpenError",
        exception_type="System.Management.Automation.Remoting.PSRemotingDataStructureException",
        target=vm.name,
        fqid="PSSessionStateBroken",
    )


def credential_valid(guest: Computer, credential: Any) -> bool:
    """A PSCredential logs on to the guest only with one of its accounts' name and password."""
    if not isinstance(credential, PSObject):
        return False
    user = to_string(credential.get("UserName") or "")
    secret = credential.get("Password")
    password = secret.plain if isinstance(secret, SecureString) else to_string(secret or "")
    return check_credential(guest.accounts, guest.name, user, password)


SESSION_TYPE = "System.Management.Automation.Runspaces.PSSession"


def session_vms(inv: Invocation, param: str = "Session") -> list[VM]:
    """The VMs of PowerShell Direct sessions passed in `param`."""
    return [
        v.ref
        for v in flatten(inv.bound.get(param))
        if isinstance(v, PSObject) and isinstance(v.ref, VM)
    ]


@cmdlet(
    "New-PSSession",
    Param("VMName", L, position=0, aliases=("VMGuid",)),
    Param("VMId", L),
    Param("ComputerName", L, aliases=("Cn",)),
    Param("Credential"),
    Param("Name", L),
    module="Microsoft.PowerShell.Core",
    aliases=("nsn",),
)
def new_ps_session(inv: Invocation) -> Iterable[Any]:
    """PowerShell Direct sessions (-VMName/-VMId with -Credential)."""
    out: list[PSObject] = []
    for vm in _resolve(inv):
        if connect(inv, vm):
            out.append(
                PSObject(
                    {
                        "Id": len(out) + 1,
                        "Name": f"WinRM{len(out) + 1}",
                        "ComputerName": vm.name,
                        "ComputerType": "VirtualMachine",
                        "VMName": vm.name,
                        "VMId": vm.id,
                        "State": "Opened",
                        "Availability": "Available",
                        "ConfigurationName": "Microsoft.PowerShell",
                    },
                    [SESSION_TYPE, "System.Object"],
                    ref=vm,
                )
            )
    return out


@cmdlet(
    "Remove-PSSession",
    Param("Session", L, position=0, from_pipeline=True),
    Param("Id", L),
    module="Microsoft.PowerShell.Core",
    aliases=("rsn",),
)
def remove_ps_session(inv: Invocation) -> Iterable[Any]:
    for v in flatten(inv.bound.get("Session") or inv.input):
        if isinstance(v, PSObject) and v.has("State"):
            v.set("State", "Closed")
    return []
