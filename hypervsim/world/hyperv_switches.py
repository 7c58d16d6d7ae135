"""Virtual switches of a Hyper-V host and the host vNICs they create."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypervsim.world.errors import WorldError
from hypervsim.world.hyperv_base import HyperVBase
from hypervsim.world.records import NetAdapter, VMSwitch

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM


class SwitchHost(HyperVBase):
    """New-/Set-/Remove-VMSwitch."""

    def set_switch(
        self,
        sw: VMSwitch,
        switch_type: str | None = None,
        allow_management_os: bool | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Set-VMSwitch: Internal and Private convert into each other (an Internal switch
        without the management OS is Private); an External switch gains or loses its host
        vNIC, which takes over or gives back the bound adapter's IP configuration."""
        new_type = switch_type or sw.switch_type
        if (new_type == "External") != (sw.switch_type == "External"):
            raise WorldError(
                "Parameter set cannot be resolved using the specified named parameters.",
                reason="AmbiguousParameterSet",
                category="InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        if new_type == "Internal" and allow_management_os is False:
            new_type = "Private"
        if new_type == "Private" and allow_management_os is True and switch_type is None:
            new_type = "Internal"
        mgmt = new_type == "Internal" or (
            new_type == "External"
            and (sw.allow_management_os if allow_management_os is None else allow_management_os)
        )
        vnic = next(
            (n for n in self.net_adapters if n.kind == "host-vnic" and n.switch_id == sw.id), None
        )
        bound = self.adapter_by_name(sw.net_adapter_name) if sw.net_adapter_name else None
        if mgmt and vnic is None:
            self._add_host_vnic(sw, bound)
        elif not mgmt and vnic is not None:
            if bound is not None:
                self.move_ip_config(vnic, bound)
            self.remove_net_adapter(vnic)
        sw.switch_type, sw.allow_management_os = new_type, mgmt
        sw.settings.update(settings or {})

    def new_switch(
        self,
        name: str,
        switch_type: str = "Private",
        net_adapter_name: str | None = None,
        allow_management_os: bool | None = None,
        notes: str = "",
    ) -> VMSwitch:
        """New-VMSwitch: Internal creates the host vNIC "vEthernet (<name>)"; External binds a NIC
        (and, with AllowManagementOS, moves that NIC's IP configuration onto a host vNIC)."""
        if self.switch_by_name(name) is not None:
            raise WorldError(
                f"Failed while adding virtual Ethernet switch connections.\nCannot create the virtual switch "
                f"'{name}': a virtual switch with this name already exists.",
                reason="ResourceExists",
                category="ResourceExists",
                target=name,
            )
        bound: NetAdapter | None = None
        if net_adapter_name is not None:
            switch_type = "External"
            bound = self.adapter_by_name(net_adapter_name)
            if bound is None or bound.kind == "host-vnic":
                raise WorldError(
                    f"No MSFT_NetAdapter objects found with property 'Name' equal to '{net_adapter_name}'.  "
                    "Verify the value of the property and retry.",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=net_adapter_name,
                )
            if any(
                s.net_adapter_name and s.net_adapter_name.lower() == bound.name.lower()
                for s in self.switches
            ):
                raise WorldError(
                    "Failed while adding virtual Ethernet switch connections.\n"
                    f"External Ethernet adapter '{bound.name}' is already bound to the Microsoft Virtual Switch protocol.",
                    # as Windows reports it (canonical/multipass#2159: a second New-VMSwitch
                    # -NetAdapterName on one adapter)
                    reason="ObjectInUse",
                    category="ResourceBusy",
                    target=net_adapter_name,
                )
        elif switch_type == "External":
            raise WorldError(
                "Parameter set cannot be resolved using the specified named parameters.",
                reason="AmbiguousParameterSet",
                category="InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        mgmt = switch_type == "Internal" or (
            switch_type == "External" and allow_management_os is not False
        )
        sw = VMSwitch(
            id=self.world.new_id(),
            name=name,
            switch_type=switch_type,
            net_adapter_name=bound.name if bound else None,
            allow_management_os=mgmt,
            notes=notes,
        )
        self.switches.append(sw)
        if mgmt:
            self._add_host_vnic(sw, bound)
        return sw

    def _add_host_vnic(self, sw: VMSwitch, bound: NetAdapter | None) -> None:
        """The management OS's vNIC on `sw`, "vEthernet (<switch>)": on an External switch it
        takes over the bound adapter's MAC and IP configuration, else it starts with APIPA."""
        vnic = self.add_net_adapter(
            f"vEthernet ({sw.name})", "host-vnic", description="Hyper-V Virtual Ethernet Adapter"
        )
        vnic.switch_id = sw.id
        if bound is not None:
            vnic.mac_address = bound.mac_address
            self.move_ip_config(bound, vnic)
        else:
            self.add_apipa(vnic)

    def switch_users(self, sw: VMSwitch) -> list[VM]:
        return [vm for vm in self.vms if any(a.switch_id == sw.id for a in vm.adapters)]

    def remove_switch(self, sw: VMSwitch) -> None:
        """Remove-VMSwitch: refused while running VMs use it; Off VMs' adapters disconnect."""
        if any(vm.state != "Off" for vm in self.switch_users(sw)):
            raise WorldError(
                "Failed while removing virtual Ethernet switch.\n"
                f"The virtual switch '{sw.name}' cannot be deleted because it is being used by running virtual "
                "machines or assigned to child pools.\nThe operation cannot be performed while the object is in use.",
                reason="ObjectInUse",
                category="ResourceBusy",
                target=sw.name,
            )
        for vm in self.switch_users(sw):
            for a in vm.adapters:
                if a.switch_id == sw.id:
                    a.switch_id = None
        for vnic in [
            n for n in self.net_adapters if n.kind == "host-vnic" and n.switch_id == sw.id
        ]:
            bound = self.adapter_by_name(sw.net_adapter_name) if sw.net_adapter_name else None
            if bound is not None:
                self.move_ip_config(vnic, bound)
            self.remove_net_adapter(vnic)
        self.switches.remove(sw)
