"""What a provider module builds on: the framework (`base`) and the property declarations
(`properties`), as one module.

Provider modules (`vm.py`, `net_nat.py`, ...) import this module (`from components.providers
import api`) and name what they use through it, instead of each repeating the same list of
names from both modules.
"""

from __future__ import annotations

from components.providers.base import (
    ADOPT_PROP,
    HOST_PROP,
    SETTING_VM_PRELUDE,
    STOP_POLICY_PROP,
    VM_ID_PROP,
    VM_POWER_PRELUDE,
    HostBoundProvider,
    HostBoundResource,
    Operation,
    Props,
    ProviderError,
    StopPolicy,
    VmSettingArgs,
    explain_needs_vm_off,
    guest_running,
    preview_needs_off,
)
from components.providers.properties import (
    Prop,
    PropertyDiff,
    PropertySet,
    declared,
    declared_as,
    equivalent,
    is_unknown,
)

__all__ = [
    "ADOPT_PROP",
    "HOST_PROP",
    "SETTING_VM_PRELUDE",
    "STOP_POLICY_PROP",
    "VM_ID_PROP",
    "VM_POWER_PRELUDE",
    "HostBoundProvider",
    "HostBoundResource",
    "Operation",
    "Prop",
    "PropertyDiff",
    "PropertySet",
    "Props",
    "ProviderError",
    "StopPolicy",
    "VmSettingArgs",
    "declared",
    "declared_as",
    "equivalent",
    "explain_needs_vm_off",
    "guest_running",
    "is_unknown",
    "preview_needs_off",
]
