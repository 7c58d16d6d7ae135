"""VLAN settings of a virtual switch port (a VM's network adapter, or the management OS's
adapter on a switch), as Set-VMNetworkAdapterVlan sets them: Untagged (the default), Access
(one VLAN ID) or Trunk (a native VLAN ID and a list of allowed IDs). Private VLAN modes are
not modelled and are refused by the cmdlet. VLAN IDs are 1-4094 (802.1Q)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hypervsim.world.errors import WorldError

MIN_ID, MAX_ID = 1, 4094


class PortVlan(BaseModel):
    """The VLAN setting of one switch port (Msvm_EthernetSwitchPortVlanSettingData)."""

    mode: str = "Untagged"  # "Untagged" | "Access" | "Trunk"
    access_vlan_id: int = 0
    native_vlan_id: int = 0
    allowed_vlan_ids: list[int] = Field(default_factory=list)


def _check_id(value: int, parameter: str) -> int:
    if not MIN_ID <= value <= MAX_ID:
        raise WorldError(
            f"The value {value} of parameter {parameter} is not a valid VLAN ID: it must be"
            f" between {MIN_ID} and {MAX_ID}.",
            reason="InvalidParameter",
            category="InvalidArgument",
            target=str(value),
        )
    return value


def parse_vlan_list(text: str) -> list[int]:
    """'1-100,200' -> the IDs it names, sorted and without duplicates."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise WorldError(
                f"'{text}' is not a valid VLAN ID list: give IDs and ranges such as '1-100,200'.",
                reason="InvalidParameter",
                category="InvalidArgument",
                target=text,
            ) from None
        _check_id(first, "AllowedVlanIdList")
        _check_id(last, "AllowedVlanIdList")
        ids.update(range(first, last + 1))
    return sorted(ids)


def vlan_list_text(ids: list[int]) -> str:
    """The IDs as ranges, '1-100,200', as AllowedVlanIdListString shows them."""
    parts: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def set_untagged(port: PortVlan) -> None:
    port.mode, port.access_vlan_id, port.native_vlan_id = "Untagged", 0, 0
    port.allowed_vlan_ids = []


def set_access(port: PortVlan, vlan_id: int) -> None:
    _check_id(vlan_id, "VlanId")
    set_untagged(port)
    port.mode, port.access_vlan_id = "Access", vlan_id


def set_trunk(port: PortVlan, native_vlan_id: int, allowed: str) -> None:
    ids = parse_vlan_list(allowed)
    _check_id(native_vlan_id, "NativeVlanId")
    set_untagged(port)
    port.mode, port.native_vlan_id, port.allowed_vlan_ids = "Trunk", native_vlan_id, ids
