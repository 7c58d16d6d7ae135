"""A lab written in Python: the seed topology of stacks/Pulumi.demo.yaml, as code.

One nested Hyper-V host (L1) on the L0 host `l0`, a NAT network inside it, and one VM on that
NAT with a static address. The stack file holds only the settings (hyperv-lab:hosts,
credentials, images, passwords, prefix); the lab itself is below. Every value is checked by
the same models as a `hyperv-lab:lab` entry, so `pulumi preview` refuses a wrong one with the
same one line (e.g. `NestedHostArgs.memory_startup_mb: 4095 is not allowed (allowed: a
multiple of 2)`), before anything is registered.
"""

import pulumi

from components.emulator_vm import EmulatorVm, EmulatorVmArgs
from components.interrupt import explain_interrupts
from components.lab_config import check_stack_config
from components.nat_network import NatNetwork, NatNetworkArgs
from components.nested_host import NestedHost, NestedHostArgs

# The checks the YAML program makes on the settings: unknown keys, plain-text passwords,
# hosts and credentials the providers would refuse.
check_stack_config()
# Ctrl-C: one line saying what to run next instead of a Python traceback.
explain_interrupts(preview=pulumi.runtime.is_dry_run())

l1 = NestedHost(
    "l1",
    NestedHostArgs(
        host="l0",
        credential="lab-admin",
        image="ws2022",
        switch_name="External",
        memory_startup_mb=4096,
        cpu_count=2,
    ),
)
nat = NatNetwork(
    "nat",
    NatNetworkArgs(host=l1, prefix="192.168.100.0/24", dns_servers=["8.8.8.8"]),
)
guest = EmulatorVm(
    "guest",
    EmulatorVmArgs(
        nat_network=nat,
        image="ws2022",
        ip_address="192.168.100.10",
        credential="lab-admin",
    ),
)

pulumi.export("l1", {"vm_name": l1.vm_name, "state": l1.state})
pulumi.export("guest", {"vm_name": guest.vm_name, "ip_address": guest.ip_address})
