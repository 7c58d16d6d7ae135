"""A readable tree of the estate for `python -m hypervsim show`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer, World
    from hypervsim.world.records import Vhd

GiB = 1024**3


def _size(n: int) -> str:
    return f"{n / GiB:g} GB" if n >= GiB else f"{n // 1024**2} MB"


def _disk(d: Vhd) -> str:
    what = [d.vhd_type.lower(), f"file {_size(d.file_size)}"]
    if d.os_build is not None:
        kind = "generalized" if d.generalized else "prepared"
        gen = f" gen{d.generation}" if d.generation else ""
        what.append(f"image {d.os_edition} build {d.os_build}{gen} {kind}")
    if d.parent_path:
        what.append(f"parent {d.parent_path}")
    if d.installed is not None:
        what.append(f"installed {d.installed.computer_name}{' (OOBE)' if d.installed.oobe else ''}")
    if d.disk_number is not None:
        letter = f" {d.drive_letter}:" if d.drive_letter else ""
        what.append(f"mounted disk {d.disk_number}{letter}")
    return f"vhd {d.path} [{', '.join(what)}]"


def _computer(c: Computer, indent: str, lines: list[str]) -> None:
    edition = "Windows Server" if c.edition == "server" else "Windows client"
    lines.append(
        f"{indent}Computer {c.name} ({edition}, build {c.build}, {c.cpu_vendor}{', VBS' if c.vbs else ''})"
    )
    inner = indent + "  "
    features = [f"{f.name}={f.install_state}" for f in c.features if f.install_state != "Available"]
    if features:
        lines.append(f"{inner}features: {', '.join(features)}")
    for sw in c.switches:
        bound = f" -> {sw.net_adapter_name}" if sw.net_adapter_name else ""
        lines.append(f"{inner}switch {sw.name} [{sw.switch_type}]{bound}")
    for nat in c.nats:
        lines.append(f"{inner}netnat {nat.name} {nat.internal_prefix}")
    for nic in c.net_adapters:
        addrs = ", ".join(f"{a.ip_address}/{a.prefix_length}" for a in c.addresses_of(nic)) or "-"
        dns = f" dns={','.join(nic.dns_servers)}" if nic.dns_servers else ""
        gws = [
            r.next_hop
            for r in c.routes
            if r.interface_index == nic.interface_index and r.destination_prefix == "0.0.0.0/0"
        ]
        gw = f" gw={','.join(gws)}" if gws else ""
        lines.append(
            f'{inner}netadapter "{nic.name}" #{nic.interface_index} {c.adapter_status(nic)} {addrs}{gw}{dns}'
        )
    files = sum(1 for e in c.files.entries.values() if not e.is_dir and not e.deleted)
    if files:
        lines.append(f"{inner}files: {files}")
    for disk in c.vhds:
        lines.append(f"{inner}{_disk(disk)}")
    for vm in c.vms:
        lines.append(
            f"{inner}VM {vm.name} [{vm.state}] gen{vm.generation} v{vm.version} "
            f"cpu={vm.processor_count} nested={vm.expose_virtualization_extensions} "
            f"mem={_size(vm.memory_startup)}{' dynamic' if vm.dynamic_memory else ''}"
        )
        for a in vm.adapters:
            connected = c.switch_by_id(a.switch_id)
            lines.append(
                f"{inner}  adapter {a.name} -> {connected.name if connected else '(not connected)'} mac={a.mac_address} "
                f"spoofing={'On' if a.mac_spoofing else 'Off'}"
            )
        for d in vm.hard_drives:
            where = f"{d.controller_type} {d.controller_number}:{d.controller_location}"
            lines.append(f"{inner}  disk {d.path} ({where})")
        if vm.guest is not None:
            _computer(vm.guest, inner + "  ", lines)


def describe_world(world: World) -> str:
    lines = [f"World (profile {world.profile}, seed {world.seed})"]
    _computer(world.root, "  ", lines)
    return "\n".join(lines) + "\n"
