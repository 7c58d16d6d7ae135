"""The hyperv-lab Pulumi program: the lab described in the stack config, built by components.

The stack file (`stacks/Pulumi.<stack>.yaml`) holds the lab under `hyperv-lab:lab` (nested
hosts, NAT networks, VMs on them), the hosts under `hyperv-lab:hosts`, guest logins under
`hyperv-lab:credentials` and an optional name prefix under `hyperv-lab:prefix`. Passwords are
`pulumi config set --secret hyperv-lab:passwords.<name>` values (or `HYPERV_LAB_PASSWORD_<NAME>`
environment variables) and are read by the providers only, never by this program.
"""

import pulumi.runtime

from components.interrupt import explain_interrupts
from components.lab import build_lab
from components.lab_config import load_lab
from components.sdk_debug_messages import drop_sdk_debug_messages
from components.sdk_output_wait import use_linear_output_wait
from components.sdk_stack_traces import trim_sdk_stack_traces

explain_interrupts(preview=pulumi.runtime.is_dry_run())
drop_sdk_debug_messages()
trim_sdk_stack_traces()
use_linear_output_wait()
build_lab(load_lab()).export()
