"""The lab description is refused, as one line naming the key and the allowed values, before
anything is created; a good one parses with its defaults."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.lab_config import LabConfigError, parse_lab

HOSTS = ["l0", "l0b"]
CREDS = ["lab-admin", "guest"]
WS2022 = {
    "host": "l0",
    "path": "C:\\Images\\WS2022-Datacenter.vhdx",
    "os": "windows-server",
    "build": 20348,
    "generation": 2,
}
IMAGES: dict[str, Any] = {
    "ws2022": WS2022,
    "ws2012r2": {**WS2022, "path": "C:\\Images\\WS2012R2.vhdx", "build": 9600},
    "ws2022-gen1": {**WS2022, "path": "C:\\Images\\WS2022-Gen1.vhdx", "generation": 1},
    "ws2022-b": {**WS2022, "host": "l0b"},
}  # fmt: skip

GOOD: dict[str, Any] = {
    "nested_hosts": [
        {"name": "hv-a", "host": "l0", "credential": "lab-admin", "image": "ws2022",
         "switch": "External"},
        {"name": "hv-b", "host": "l0", "credential": "lab-admin", "image": "ws2022"},
    ],
    "nat_networks": [
        {"name": "nat-a", "host": "hv-a", "prefix": "192.168.100.0/24", "dns_servers": ["8.8.8.8"]},
        # Sibling L1s may reuse a prefix: they are different hosts.
        {"name": "nat-b", "host": "hv-b", "prefix": "192.168.100.0/24"},
        {
            "name": "nat-l0",
            "host": "l0b",
            "prefix": "172.16.0.0/24",
            "gateway": "172.16.0.254",
            "guests": [
                {"vm_name": "hand-made", "ip_address": "172.16.0.10", "credential": "guest"}
            ],
        },
    ],
    "emulator_vms": [
        {"name": "phone-1", "nat_network": "nat-a", "ip_address": "192.168.100.10",
         "image": "ws2022"},
        {"name": "phone-2", "nat_network": "nat-a", "ip_address": "192.168.100.11",
         "credential": "guest", "image": "ws2022", "disk": "copy"},
    ],
}  # fmt: skip


def _parse(lab: Any, prefix: str = "") -> Any:
    return parse_lab(lab, hosts=HOSTS, credentials=CREDS, images=IMAGES, prefix=prefix)


def _broken(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the value at dotted `path` (list indexes as numbers) replaced or added."""
    lab = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = lab
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return lab


def test_good_lab_parses_with_defaults() -> None:
    lab = _parse(json.dumps(GOOD), prefix="dev-a-")
    assert lab.prefix == "dev-a-"
    hv_a = lab.spec.nested_hosts[0]
    assert (hv_a.generation, hv_a.memory_startup_mb, hv_a.cpu_count) == (2, 4096, 2)
    assert hv_a.mac_address_spoofing is True and hv_a.stop_policy == "fail"
    assert lab.spec.nat_networks[0].gateway is None
    assert lab.spec.emulator_vms[0].credential is None
    assert (hv_a.image, hv_a.disk, hv_a.computer_name, hv_a.time_zone) == (
        "ws2022",
        "differencing",
        None,
        "UTC",
    )
    assert lab.spec.emulator_vms[1].disk == "copy"
    assert lab.images["ws2022"].build == 20348 and lab.images["ws2022"].generalized is True


def test_error_is_a_run_error_of_one_line() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        _parse(_broken("nested_hosts.0.generation", 3))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "nested_hosts.0.generation",
            3,
            "hyperv-lab:lab.nested_hosts[0].generation: 3 is not allowed (allowed: 1 or 2)",
        ),
        (
            "nested_hosts.0.colour",
            "red",
            "hyperv-lab:lab.nested_hosts[0].colour: unknown key (allowed: name, host, image, "
            "switch, credential, memory_startup_mb, cpu_count, mac_address_spoofing, generation, "
            "disk, computer_name, time_zone, version, notes, stop_policy, adopt_existing)",
        ),
        (
            "nested_hosts.0.image",
            "ws2012r2",
            "hyperv-lab:lab.nested_hosts[0].image: image 'ws2012r2' is windows-server build "
            "9600, which cannot run Hyper-V inside a VM (nested virtualization needs build "
            "14393 or later)",
        ),
        (
            "nested_hosts.0.image",
            "ws2019",
            "hyperv-lab:lab.nested_hosts[0].image: unknown image 'ws2019' (allowed: ws2012r2, "
            "ws2022, ws2022-b, ws2022-gen1; define it in hyperv-lab:images)",
        ),
        (
            "nested_hosts.1.image",
            "ws2022-gen1",
            "hyperv-lab:lab.nested_hosts[1].image: image 'ws2022-gen1' is for generation 1 VMs, "
            "the VM is generation 2",
        ),
        (
            "nested_hosts.1.image",
            "ws2022-b",
            "hyperv-lab:lab.nested_hosts[1].image: image 'ws2022-b' is on host 'l0b', not on "
            "'l0' (allowed: an image on 'l0')",
        ),
        (
            "nested_hosts.1",
            {"name": "hv-b", "host": "l0", "credential": "lab-admin"},
            "hyperv-lab:lab.nested_hosts[1].image: required",
        ),
        (
            "nested_hosts.0.disk",
            "thin",
            "hyperv-lab:lab.nested_hosts[0].disk: 'thin' is not allowed (allowed: "
            "'differencing' or 'copy')",
        ),
        (
            "nested_hosts.0.computer_name",
            "a-name-that-is-too-long",
            "hyperv-lab:lab.nested_hosts[0].computer_name: 'a-name-that-is-too-long' is not a "
            "valid computer name (allowed: 1 to 15 letters, digits or '-', not only digits)",
        ),
        (
            "emulator_vms.0.image",
            "ws2012r2",
            None,
        ),
        (
            "emulator_vms.0.image",
            "ws2022-b",
            "hyperv-lab:lab.emulator_vms[0].image: image 'ws2022-b' is on host 'l0b', not on 'l0'",
        ),
        (
            "nested_hosts.0.memory_startup_mb",
            100,
            "hyperv-lab:lab.nested_hosts[0].memory_startup_mb: 100 is out of range "
            "(allowed: 512 to 12582912)",
        ),
        (
            "nested_hosts.1.stop_policy",
            "later",
            "hyperv-lab:lab.nested_hosts[1].stop_policy: 'later' is not allowed "
            "(allowed: 'fail' or 'stop-and-restore')",
        ),
        (
            "nested_hosts.0.name",
            "bad name!",
            "hyperv-lab:lab.nested_hosts[0].name: 'bad name!' is not allowed (allowed: letters",
        ),
        (
            "nested_hosts.0.host",
            "nowhere",
            "hyperv-lab:lab.nested_hosts[0].host: unknown host 'nowhere' (allowed: l0, l0b;",
        ),
        (
            "nested_hosts.0.credential",
            "root",
            "hyperv-lab:lab.nested_hosts[0].credential: unknown credential 'root' "
            "(allowed: guest, lab-admin;",
        ),
        (
            "nested_hosts.1.name",
            "hv-a",
            "hyperv-lab:lab.nested_hosts[1].name: 'hv-a' is already used by nested_hosts[0]",
        ),
        (
            "nested_hosts.1.name",
            "HV-A",
            "hyperv-lab:lab.nested_hosts[1].name: 'HV-A' is already used by nested_hosts[0] "
            "as 'hv-a' (names are compared ignoring case)",
        ),
        (
            "nat_networks.1.name",
            "NAT-A",
            "hyperv-lab:lab.nat_networks[1].name: 'NAT-A' is already used by nat_networks[0] "
            "as 'nat-a' (names are compared ignoring case)",
        ),
        (
            "emulator_vms.1.name",
            "Phone-1",
            "hyperv-lab:lab.emulator_vms[1].name: 'Phone-1' is already used by emulator_vms[0] "
            "as 'phone-1' (names are compared ignoring case)",
        ),
        (
            "nat_networks.0.prefix",
            "192.168.100.1/24",
            "hyperv-lab:lab.nat_networks[0].prefix: '192.168.100.1/24' is not an IPv4 network "
            "in CIDR form (host bits set; did you mean 192.168.100.0/24?)",
        ),
        (
            "nat_networks.0.prefix",
            "300.1.1.0/24",
            "hyperv-lab:lab.nat_networks[0].prefix: '300.1.1.0/24' is not an IPv4 network",
        ),
        (
            "nat_networks.0.prefix",
            "192.168.100.0",
            "hyperv-lab:lab.nat_networks[0].prefix: '192.168.100.0' needs a prefix length",
        ),
        (
            "nat_networks.0.gateway",
            "192.168.101.1",
            "hyperv-lab:lab.nat_networks[0].gateway: 192.168.101.1 is outside 192.168.100.0/24 "
            "(allowed: 192.168.100.1 - 192.168.100.254)",
        ),
        (
            "nat_networks.0.gateway",
            "192.168.100.255",
            "hyperv-lab:lab.nat_networks[0].gateway: 192.168.100.255 is the broadcast address",
        ),
        (
            "nat_networks.2.guests.0.ip_address",
            "172.16.0.0",
            "hyperv-lab:lab.nat_networks[2].guests[0].ip_address: 172.16.0.0 is the network "
            "address",
        ),
        (
            "nat_networks.2.guests.0.ip_address",
            "172.16.0.254",
            "hyperv-lab:lab.nat_networks[2].guests[0].ip_address: 172.16.0.254 is already used "
            "by gateway",
        ),
        (
            "nat_networks.1.host",
            "hv-a",
            "hyperv-lab:lab.nat_networks[1].host: 'hv-a' already has nat_networks[0] "
            "(Windows allows one NetNat per host",
        ),
        (
            "nat_networks.1.host",
            "mars",
            "hyperv-lab:lab.nat_networks[1].host: unknown host 'mars' "
            "(allowed: hv-a, hv-b, l0, l0b;",
        ),
        (
            "nat_networks.0.dns_servers",
            ["dns.example"],
            "hyperv-lab:lab.nat_networks[0].dns_servers[0]: 'dns.example' is not an IPv4 address",
        ),
        (
            "emulator_vms.1.ip_address",
            "192.168.100.10",
            "hyperv-lab:lab.emulator_vms[1].ip_address: 192.168.100.10 is already used by "
            "hyperv-lab:lab.emulator_vms[0].ip_address",
        ),
        (
            "emulator_vms.1.ip_address",
            "192.168.100.1",
            "hyperv-lab:lab.emulator_vms[1].ip_address: 192.168.100.1 is already used by "
            "hyperv-lab:lab.nat_networks[0].gateway",
        ),
        (
            "emulator_vms.0.ip_address",
            "10.9.9.9",
            "hyperv-lab:lab.emulator_vms[0].ip_address: 10.9.9.9 is outside 192.168.100.0/24",
        ),
        (
            "emulator_vms.0.nat_network",
            "nat-x",
            "hyperv-lab:lab.emulator_vms[0].nat_network: unknown NAT network 'nat-x' "
            "(allowed: nat-a, nat-b, nat-l0)",
        ),
        (
            "emulator_vms.0.nat_network",
            "nat-l0",
            "hyperv-lab:lab.emulator_vms[0].nat_network: 'nat-l0' is on L0 host 'l0b', not on "
            "a nested host (allowed: nat-a, nat-b)",
        ),
        (
            "emulator_vms.1.credential",
            "nobody",
            "hyperv-lab:lab.emulator_vms[1].credential: unknown credential 'nobody'",
        ),
        (
            "emulator_vms.0",
            {"name": "x", "nat_network": "nat-a"},
            "hyperv-lab:lab.emulator_vms[0].ip_address: required",
        ),
    ],
)
def test_bad_values_fail_with_one_line_naming_key_and_allowed(
    path: str, value: Any, expected: str | None
) -> None:
    if expected is None:  # allowed: a guest that does not nest may run an older build
        _parse(_broken(path, value))
        return
    with pytest.raises(LabConfigError) as caught:
        _parse(_broken(path, value))
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_nat_on_l1_overlapping_the_nat_of_its_l0_is_refused() -> None:
    lab = _broken("nested_hosts.0.host", "l0b")  # hv-a now runs on l0b, which has nat-l0
    lab["nat_networks"][0]["prefix"] = "172.16.0.0/16"
    lab["emulator_vms"] = []
    with pytest.raises(LabConfigError) as caught:
        _parse(lab)
    assert str(caught.value).startswith(
        "hyperv-lab:lab.nat_networks[0].prefix: 172.16.0.0/16 overlaps nat_networks[2] "
        "'nat-l0' on 'l0b' (172.16.0.0/24) on the same nesting chain"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{not json", "hyperv-lab:lab: not valid JSON"),
        ("[1, 2]", "hyperv-lab:lab: expected an object, got list"),
        ({"vms": []}, "hyperv-lab:lab.vms: unknown key (allowed: nested_hosts, nat_networks"),
    ],
)
def test_malformed_lab_value(raw: Any, expected: str) -> None:
    with pytest.raises(LabConfigError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        _parse(raw)


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        ({"ws2022": {**WS2022, "generation": 3}}, "hyperv-lab:images.ws2022.generation: must be"),
        ({"ws2022": {**WS2022, "os": "linux"}}, "hyperv-lab:images.ws2022.os: must be one of"),
        ({"ws2022": {**WS2022, "build": "20348"}}, "hyperv-lab:images.ws2022.build: Input should"),
        ({"ws2022": {**WS2022, "path": "WS.vhdx"}}, "hyperv-lab:images.ws2022.path: must be an"),
        ({"ws2022": {**WS2022, "size": 1}}, "hyperv-lab:images.ws2022.size: unknown key"),
        ({"ws2022": {"host": "l0"}}, "hyperv-lab:images.ws2022.path: Field required"),
        ("[1]", "hyperv-lab:images: expected an object"),
    ],
)
def test_bad_images_config_fails_with_one_line_naming_the_key(images: Any, expected: str) -> None:
    with pytest.raises(LabConfigError) as caught:
        parse_lab(GOOD, hosts=HOSTS, credentials=CREDS, images=images)
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_prefix_is_refused() -> None:
    with pytest.raises(LabConfigError, match=r"^hyperv-lab:prefix: 'dev a' is not allowed"):
        _parse(GOOD, prefix="dev a")


STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.mark.parametrize("name", ["demo", "lab", "dev-example"])
def test_shipped_stack_files_are_valid_and_hold_no_password(name: str) -> None:
    text = (STACKS / f"Pulumi.{name}.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    lab = parse_lab(
        config["hyperv-lab:lab"],
        hosts=config["hyperv-lab:hosts"],
        credentials=config["hyperv-lab:credentials"],
        images=config["hyperv-lab:images"],
        prefix=config.get("hyperv-lab:prefix", ""),
    )
    assert lab.spec.nested_hosts
    assert all(vm.image for vm in [*lab.spec.nested_hosts, *lab.spec.emulator_vms])
    assert "hyperv-lab:passwords" not in config
    assert "secure:" not in text and "password:" not in text
    for host in config["hyperv-lab:hosts"].values():
        assert host["endpoint"] == "http://127.0.0.1:15985/wsman"  # scripts/demo's port


def test_plain_text_passwords_in_stack_config_are_refused() -> None:
    from components.lab_config import refuse_plain_passwords

    hosts = {"l0": {"endpoint": "http://127.0.0.1:5985/wsman", "user": "u", "password": "pw"}}
    with pytest.raises(LabConfigError) as refused:
        refuse_plain_passwords({"hosts": hosts, "credentials": {}}, is_secret=lambda _: False)
    message = str(refused.value)
    assert message == (
        "hyperv-lab:hosts.l0.password: plain-text passwords are refused (allowed: a secret: "
        "pulumi config set --secret --path 'hyperv-lab:hosts.l0.password' reads it from stdin; "
        "or the environment variable HYPERV_LAB_PASSWORD_L0)"
    )
    # An entry of hyperv-lab:passwords: the command names that entry (a dotted name quoted).
    for name, config_path, variable in [
        ("lab-admin", "hyperv-lab:passwords.lab-admin", "HYPERV_LAB_PASSWORD_LAB_ADMIN"),
        ("hv.01", 'hyperv-lab:passwords["hv.01"]', "HYPERV_LAB_PASSWORD_HV_01"),
    ]:
        with pytest.raises(LabConfigError) as refused:
            refuse_plain_passwords(
                {"passwords": {"l0": "secret", name: "plain"}},
                is_secret=lambda path: path == ("passwords", "l0"),
            )
        assert str(refused.value).startswith(
            f"hyperv-lab:passwords.{name}: plain-text passwords are refused (allowed: a secret: "
            f"pulumi config set --secret --path '{config_path}' reads it from stdin; "
            f"or the environment variable {variable})"
        )
        assert "plain" not in str(refused.value).replace("plain-text", "")
    # The same values set with --secret are accepted.
    refuse_plain_passwords(
        {"hosts": hosts, "credentials": {}, "passwords": {"l0": "x"}}, is_secret=lambda _: True
    )


def test_one_secret_entry_does_not_make_a_plain_one_secret() -> None:
    """Why a plain entry next to a secret one got through: the engine marks the whole
    `hyperv-lab:passwords` key secret when any entry is; the stack file tells them apart."""
    from pulumi.runtime.config import _SECRET_KEYS, CONFIG, set_all_config

    from components.lab_config import _is_secret

    written = {
        "hyperv-lab:passwords": {"l0": {"secure": "v1:abc"}, "lab-admin": "plain-pw"},
        "hyperv-lab:hosts": {"l0": {"endpoint": "http://x:5985/wsman"}},
    }
    config_token, secret_token = CONFIG.set({}), _SECRET_KEYS.set(set())
    try:
        set_all_config({"hyperv-lab:passwords": "{}"}, ["hyperv-lab:passwords"])
        assert _is_secret(("passwords", "l0"), written)
        assert not _is_secret(("passwords", "lab-admin"), written)
        assert _is_secret(("passwords", "from-an-environment"), written)  # the key decides
        assert not _is_secret(("hosts", "l0", "password"), written)  # key not secret at all
        assert _is_secret(("passwords", "lab-admin"), {})  # no stack file: the key decides
    finally:
        CONFIG.reset(config_token)
        _SECRET_KEYS.reset(secret_token)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "nested_hosts.0.cpu_count",
            "4",
            "hyperv-lab:lab.nested_hosts[0].cpu_count: Input should be a valid integer (got text: "
            "write it without quotes in YAML, or pulumi config set --path --type int)",
        ),
        (
            "nested_hosts.0.mac_address_spoofing",
            "yes",
            "hyperv-lab:lab.nested_hosts[0].mac_address_spoofing: Input should be a valid "
            "boolean (got text",
        ),
        (
            "emulator_vms.0.adopt_existing",
            1,
            "hyperv-lab:lab.emulator_vms[0].adopt_existing: Input should be a valid boolean "
            "(got a number)",
        ),
        (
            "nested_hosts.0.memory_startup_mb",
            4096.5,
            "hyperv-lab:lab.nested_hosts[0].memory_startup_mb: Input should be a valid integer "
            "(got a number)",
        ),
    ],
)
def test_values_of_the_wrong_type_are_refused_not_coerced(
    path: str, value: Any, expected: str
) -> None:
    with pytest.raises(LabConfigError) as caught:
        _parse(_broken(path, value))
    assert str(caught.value).startswith(expected), str(caught.value)


@pytest.mark.parametrize(
    ("path", "value", "props", "prop", "expected"),
    [
        (
            "emulator_vms.0.memory_startup_mb",
            2049,
            "vm",
            "memory_startup_mb",
            "hyperv-lab:lab.emulator_vms[0].memory_startup_mb: 2049 is not allowed "
            "(allowed: a multiple of 2)",
        ),
        (
            "emulator_vms.0.memory_startup_mb",
            16,
            "vm",
            "memory_startup_mb",
            "hyperv-lab:lab.emulator_vms[0].memory_startup_mb: 16 is out of range "
            "(allowed: 32 to 12582912)",
        ),
        (
            "nested_hosts.0.cpu_count",
            0,
            "processor",
            "count",
            "hyperv-lab:lab.nested_hosts[0].cpu_count: 0 is out of range (allowed: 1 to 2048)",
        ),
        (
            "emulator_vms.0.notes",
            "hi\nhyperv-lab-owner: someone/else",
            "vm",
            "notes",
            "hyperv-lab:lab.emulator_vms[0].notes: must not contain a line starting with "
            "'hyperv-lab-owner:'",
        ),
        (
            "nested_hosts.0.switch",
            "",
            "adapter",
            "switch_name",
            "hyperv-lab:lab.nested_hosts[0].switch: String should have at least 1 character",
        ),
    ],
)
def test_a_value_the_provider_refuses_is_refused_under_its_config_path(
    path: str, value: Any, props: str, prop: str, expected: str
) -> None:
    """The lab field takes the provider property's own rule: the provider does refuse the
    value (so it would fail mid-update as a resource property), and the lab refuses it first,
    naming the stack-config path."""
    from components.providers.vm import VM_PROPERTIES
    from components.providers.vm_network_adapter import VM_NETWORK_ADAPTER_PROPERTIES
    from components.providers.vm_processor import VM_PROCESSOR_PROPERTIES

    kinds = {
        "vm": (VM_PROPERTIES, {"host": "l0", "name": "vm"}),
        "processor": (VM_PROCESSOR_PROPERTIES, {"host": "l0", "vm_name": "vm"}),
        "adapter": (VM_NETWORK_ADAPTER_PROPERTIES, {"host": "l0", "vm_name": "vm"}),
    }
    property_set, required = kinds[props]
    _, failures = property_set.check({**required, prop: value})
    assert [f.prop for f in failures] == [prop]
    with pytest.raises(LabConfigError) as caught:
        _parse(_broken(path, value))
    assert str(caught.value).startswith(expected), str(caught.value)


def test_typo_beside_a_required_key_names_the_typo() -> None:
    lab = copy.deepcopy(GOOD)
    lab["emulator_vms"][0]["ip_adress"] = lab["emulator_vms"][0].pop("ip_address")
    with pytest.raises(LabConfigError) as caught:
        _parse(lab)
    assert str(caught.value).startswith(
        "hyperv-lab:lab.emulator_vms[0].ip_adress: unknown key (allowed: name, nat_network, "
        "ip_address,"
    )


def test_program_checks_hosts_and_credentials_without_reading_passwords(tmp_path: Path) -> None:
    """What the providers will refuse is refused at preview by the program, which only sees
    that each password is there (stack config or environment), never its value."""
    from components.lab_config import _check_connections

    l0 = {"endpoint": "http://127.0.0.1:5985/wsman", "user": "Administrator"}
    creds = {"lab-admin": {"user": "Administrator"}}
    env = {"HYPERV_LAB_PASSWORD_LAB_ADMIN": "env-secret"}
    _check_connections({"l0": l0}, creds, {"l0": "cfg-secret"}, env, "dev-", None)

    def refusal(hosts: dict[str, Any], passwords: dict[str, Any]) -> str:
        with pytest.raises(LabConfigError) as caught:
            _check_connections(hosts, creds, passwords, env, "", None)
        message = str(caught.value)
        assert "cfg-secret" not in message and "env-secret" not in message
        return message

    assert refusal({"l0": l0}, {}) == (
        "hyperv-lab:hosts.l0: no password for a WinRM endpoint (pulumi config set --secret "
        "--path 'hyperv-lab:passwords.l0', or the environment variable HYPERV_LAB_PASSWORD_L0)"
    )
    missing_ca = tmp_path / "ca.pem"
    https = {**l0, "endpoint": "https://127.0.0.1:5986/wsman", "ca_bundle": str(missing_ca)}
    assert refusal({"l0": https}, {"l0": "cfg-secret"}).startswith(
        f"hyperv-lab:hosts.l0: 'ca_bundle' {missing_ca} is not a file"
    )
    assert refusal({"l0": {**l0, "retries": "3"}}, {"l0": "cfg-secret"}).startswith(
        "hyperv-lab:hosts.l0.retries: Input should be a valid integer (got text"
    )
