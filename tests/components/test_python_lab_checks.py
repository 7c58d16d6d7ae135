"""A lab written in Python is refused what `parse_lab` refuses in the YAML, with the same words:
hosts and credentials not in the (checked) stack config, NAT prefixes overlapping along a
nesting chain. Only the path in front differs (`NestedHostArgs.host` for
`hyperv-lab:lab.nested_hosts[0].host`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.lab_config import LabConfigError, parse_lab
from components.lab_messages import LabArgsError
from components.lab_models import record_configured
from components.nat_network import NatGuest, NatNetwork, NatNetworkArgs
from components.nested_host import NestedHost, NestedHostArgs
from tests.components.test_components import (  # noqa: F401 (the fixture)
    DEMO_LAB,
    IMAGES,
    StackFactory,
    mocked_stack,
    ws2022,
)

HOSTS = ["l0"]
CREDS = ["lab-admin"]


def _yaml_refusal(path: list[Any], value: Any) -> str:
    """What `parse_lab` says when the demo lab has `value` at `path`, after the key path."""
    lab = copy.deepcopy(DEMO_LAB)
    node: Any = lab
    for part in path[:-1]:
        node = node[part]
    if path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    with pytest.raises(LabConfigError) as caught:
        parse_lab(lab, hosts=HOSTS, credentials=CREDS, images=IMAGES)
    return str(caught.value).split(": ", 1)[1]


def _python_refusal(make: Any) -> str:
    with pytest.raises(LabArgsError) as caught:
        make()
    return str(caught.value)


def test_unknown_host_and_credentials_are_refused_as_the_yaml_refuses_them(
    mocked_stack: StackFactory,  # noqa: F811
) -> None:
    mocked_stack()
    record_configured(HOSTS, CREDS)
    image = ws2022()

    said = _python_refusal(lambda: NestedHostArgs(host="l9", image=image, credential="lab-admin"))
    assert said == "NestedHostArgs.host: " + _yaml_refusal(["nested_hosts", 0, "host"], "l9")
    assert said.endswith("unknown host 'l9' (allowed: l0; define it in hyperv-lab:hosts)")

    said = _python_refusal(lambda: NestedHostArgs(host="l0", image=image, credential="nobody"))
    assert said == "NestedHostArgs.credential: " + _yaml_refusal(
        ["nested_hosts", 0, "credential"], "nobody"
    )

    said = _python_refusal(lambda: NatNetworkArgs(host="l9", prefix="10.0.0.0/24"))
    assert said.startswith("NatNetworkArgs.host: unknown host 'l9' (allowed: l0;")

    said = _python_refusal(
        lambda: NatGuest(vm_name="g", ip_address="10.0.0.5", credential="nobody")
    )
    assert said.startswith("NatGuest.credential: unknown credential 'nobody' (allowed: lab-admin;")

    # Known names, and a host given as a route (the provider's to check), are taken.
    NestedHostArgs(host="l0", image=image, credential="lab-admin")
    NestedHostArgs(host={"parent": "l0", "vm_name": "x", "credential": "y"}, image=image,
                   credential="lab-admin")  # fmt: skip


def test_without_a_checked_stack_config_names_are_left_to_the_providers(
    mocked_stack: StackFactory,  # noqa: F811
) -> None:
    mocked_stack()  # a new program run: check_stack_config has not run in it
    NestedHostArgs(host="l9", image=ws2022(), credential="nobody")


def test_nat_prefixes_must_not_overlap_along_a_nesting_chain(
    mocked_stack: StackFactory,  # noqa: F811
) -> None:
    mocked_stack()
    l1 = NestedHost("l1", NestedHostArgs(host="l0", image=ws2022(), credential="adm"))
    l2 = NestedHost("l2", NestedHostArgs(host="l0", image=ws2022(), credential="adm"))
    NatNetwork("in-l1", NatNetworkArgs(host=l1, prefix="192.168.100.0/24"))
    NatNetwork("in-l2", NatNetworkArgs(host=l2, prefix="192.168.100.0/24"))  # siblings may
    said = _python_refusal(
        lambda: NatNetwork("outer", NatNetworkArgs(host="l0", prefix="192.168.0.0/16"))
    )
    assert said == (
        "NatNetwork 'outer' prefix: 192.168.0.0/16 overlaps NatNetwork 'in-l1' on 'l1' "
        "(192.168.100.0/24) on the same nesting chain (allowed: a prefix that does not overlap it)"
    )
    outer = {"name": "outer", "host": "l0", "prefix": "192.168.0.0/16"}
    yaml_said = _yaml_refusal(["nat_networks", 1], outer)
    assert yaml_said.startswith("192.168.100.0/24 overlaps nat_networks[1] 'outer' on 'l0' ")
    assert said.split(") ", 1)[1] == yaml_said.split(") ", 1)[1]  # the same rule and words

    # The other way round: the L0's NAT first, then one inside an L1 on it.
    mocked_stack()
    NatNetwork("outer", NatNetworkArgs(host="l0", prefix="10.0.0.0/8"))
    l1 = NestedHost("l1", NestedHostArgs(host="l0", image=ws2022(), credential="adm"))
    said = _python_refusal(
        lambda: NatNetwork("inner", NatNetworkArgs(host=l1, prefix="10.1.0.0/16"))
    )
    assert said.startswith("NatNetwork 'inner' prefix: 10.1.0.0/16 overlaps NatNetwork 'outer' on")
    l2 = NestedHost("l2", NestedHostArgs(host="l0", image=ws2022(), credential="adm"))
    NatNetwork("apart", NatNetworkArgs(host=l2, prefix="172.16.0.0/16"))
