"""The hyperv-lab Pulumi program: the lab described in the stack config, built by components.

The stack file (`stacks/Pulumi.<stack>.yaml`) holds the lab under `hyperv-lab:lab` (nested
hosts, NAT networks, VMs on them), the hosts under `hyperv-lab:hosts`, guest logins under
`hyperv-lab:credentials` and an optional name prefix under `hyperv-lab:prefix`. Passwords are
`pulumi config set --secret hyperv-lab:passwords.<name>` values (or `HYPERV_LAB_PASSWORD_<NAME>`
environment variables) and are read by the providers only, never by this program.
"""

import pulumi.runtime

from components.interrupt import explain_interrupts
from components.lab import build_lab  # installs the SDK patches (components.sdk_patches)
from components.lab_config import load_lab

explain_interrupts(preview=pulumi.runtime.is_dry_run())
build_lab(load_lab()).export()
