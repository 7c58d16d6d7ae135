"""Stack configuration: hosts, credentials, secrets, and one-line errors naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.config import (
    STACK_CONFIG_KEYS,
    ConfigError,
    HostRef,
    HostSettings,
    LabConfig,
    check_stack_config_keys,
    password_env_var,
)

SECRET = "S3cr€t-pw"
L0 = {"endpoint": "http://127.0.0.1:5985/wsman", "user": "Administrator", "password": SECRET}


class _FakePulumiConfig:
    """Stands in for pulumi.dynamic.Config: `.get(key)` of full keys."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    def get(self, key: str) -> object:
        return self.values.get(key)


def test_hosts_from_pulumi_config_json_text_with_secret_passwords_key() -> None:
    cfg = _FakePulumiConfig(
        {
            "hyperv-lab:hosts": json.dumps(
                {"l0": {k: v for k, v in L0.items() if k != "password"}}
            ),
            "hyperv-lab:passwords": json.dumps({"l0": SECRET, "guest": "g-pw"}),
            "hyperv-lab:credentials": {"guest": {"user": "Administrator"}},
            "hyperv-lab:prefix": "alice",
        }
    )
    lab = LabConfig.from_pulumi_config(cfg, environ={})
    host = lab.host("l0")
    assert host.password is not None and host.password.get_secret_value() == SECRET
    assert lab.credentials["guest"].password.get_secret_value() == "g-pw"
    assert lab.prefix == "alice"
    assert SECRET not in repr(lab) and SECRET not in str(lab)


def test_environment_fills_hosts_and_passwords() -> None:
    env = {
        "HYPERV_LAB_HOSTS": json.dumps({"hv-01": {"endpoint": L0["endpoint"], "user": "u"}}),
        "HYPERV_LAB_PASSWORD_HV_01": SECRET,
    }
    host = LabConfig.from_environment(env).host("hv-01")
    assert host.password is not None and host.password.get_secret_value() == SECRET
    assert host.transport == "ntlm" and not host.is_https


def test_vm_route_resolves_parent_and_credential_and_lists_all_secrets() -> None:
    lab = LabConfig.from_sources(
        hosts={"l0": L0}, credentials={"g": {"user": "Admin", "password": "guest-pw"}}, environ={}
    )
    ref = {
        "parent": {"parent": "l0", "vm_name": "L1 \u2018a\u2019", "credential": "g"},
        "vm_name": "L2",
        "credential": "g",
    }
    host = lab.host(ref)
    assert host.via is not None and host.via.vm_name == "L2"
    assert host.via.parent.via is not None and host.via.parent.via.vm_name == "L1 \u2018a\u2019"
    assert sorted(host.secrets()) == sorted(["guest-pw", "guest-pw", SECRET])
    assert HostRef.parse(ref).label() == "l0>L1 \u2018a\u2019>L2"
    assert host.pool_key() != lab.host("l0").pool_key()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"transport": "kerberos"},
            "hyperv-lab:hosts.l0.transport: must be one of 'ntlm' or 'basic'",
        ),
        (
            {"transport": "basic"},
            "hyperv-lab:hosts.l0: transport 'basic' sends the password in clear",
        ),
        ({"colour": "blue"}, "hyperv-lab:hosts.l0.colour: unknown key"),
        (
            {"endpoint": "ftp://x"},
            "hyperv-lab:hosts.l0.endpoint: URL scheme should be 'http' or 'https'",
        ),
        ({"read_timeout_s": 5, "operation_timeout_s": 20}, "must be lower than 'read_timeout_s'"),
        ({"ca_bundle": "/ca.pem"}, "'ca_bundle' only applies to an https:// endpoint"),
        (
            {"password": None},
            "hyperv-lab:hosts.l0: no password for a WinRM endpoint (pulumi config set --secret "
            "--path 'hyperv-lab:passwords.l0', or the environment variable "
            "HYPERV_LAB_PASSWORD_L0)",
        ),
        ({"user": ""}, "hyperv-lab:hosts.l0: 'user' is required for a WinRM endpoint"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(change: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(hosts={"l0": {**L0, **change}}, environ={})
    text = str(info.value)
    assert message in text
    assert "\n" not in text and SECRET not in text


def test_basic_over_https_with_ca_bundle_is_accepted(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    host = HostSettings(
        name="l0",
        endpoint="https://127.0.0.1:5986/wsman",
        transport="basic",
        user="u",
        password=SECRET,
        ca_bundle=str(ca),  # a path is text in stack config
    )
    assert host.is_https and host.ca_bundle == ca


def test_missing_ca_bundle_file_is_one_line_naming_the_host(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    https = {**L0, "endpoint": "https://127.0.0.1:5986/wsman", "ca_bundle": str(missing)}
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(hosts={"l0": https}, environ={})
    assert str(info.value) == (
        f"hyperv-lab:hosts.l0: 'ca_bundle' {missing} is not a file (allowed: the PEM file of "
        "the CA that signed the host's WinRM HTTPS certificate)"
    )


def test_a_top_level_value_is_named_by_its_stack_config_key() -> None:
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(prefix="dev a", environ={})
    assert str(info.value).startswith("hyperv-lab:prefix: String should match pattern")


def test_credential_without_password_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(credentials={"lab-admin": {"user": "Administrator"}}, environ={})
    assert str(info.value) == (
        "hyperv-lab:credentials.lab-admin: no password (pulumi config set --secret --path "
        "'hyperv-lab:passwords.lab-admin', or the environment variable "
        "HYPERV_LAB_PASSWORD_LAB_ADMIN)"
    )


def test_unknown_host_key_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(hosts={"l0": {**L0, "endpiont": "x"}}, environ={})
    message = str(info.value)
    assert message.startswith("hyperv-lab:hosts.l0.endpiont: unknown key (allowed: endpoint, ")
    assert "ca_bundle" in message and "max_sessions" in message
    assert "(allowed: name" not in message  # a host's name is its key, not a setting
    with pytest.raises(ConfigError, match=r"credentials.g.usr: unknown key \(allowed: user, "):
        LabConfig.from_sources(credentials={"g": {"usr": "x", "password": "p"}}, environ={})


@pytest.mark.parametrize(
    ("hosts", "credentials", "message"),
    [
        (
            {"l0": {**L0, "read_timeout_s": "60"}},
            {},
            "hyperv-lab:hosts.l0.read_timeout_s: Input should be a valid integer (got text: "
            "write it without quotes in YAML, or pulumi config set --path --type int)",
        ),
        (
            {"l0": {**L0, "retries": True}},
            {},
            "hyperv-lab:hosts.l0.retries: Input should be a valid integer (got a boolean)",
        ),
        (
            {"l0": {**L0, "backoff_s": "0.5"}},  # what `config set --path ... 0.5` stores
            {},
            "hyperv-lab:hosts.l0.backoff_s: Input should be a valid number (got text: write it "
            "without quotes in YAML, or pulumi config set --path --type float)",
        ),
        (
            {"l0": L0},
            {"g": {"user": "u", "password": "p", "wait_s": "30"}},
            "hyperv-lab:credentials.g.wait_s: Input should be a valid number (got text",
        ),
        (
            {"l0": {**L0, "user": 7}},
            {},
            "hyperv-lab:hosts.l0.user: Input should be a valid string (got a number: quote it "
            "in YAML, or pulumi config set --path --type string)",
        ),
    ],
)
def test_values_of_the_wrong_type_are_refused_not_coerced(
    hosts: dict, credentials: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        LabConfig.from_sources(hosts=hosts, credentials=credentials, environ={})
    assert str(info.value).startswith(message)
    assert SECRET not in str(info.value)


def test_typed_values_in_json_text_keep_working() -> None:
    """`pulumi config set hyperv-lab:hosts '<json>'` arrives as text: its numbers stay numbers."""
    hosts = json.dumps({"l0": {**L0, "read_timeout_s": 60, "backoff_s": 1}})
    lab = LabConfig.from_sources(hosts=hosts, environ={}, journal_dir="/srv/journal")
    assert lab.host("l0").read_timeout_s == 60 and lab.host("l0").backoff_s == 1.0
    assert lab.journal_dir == Path("/srv/journal")


def test_unknown_stack_config_key_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        check_stack_config_keys(["hyperv-lab:hosts", "hyperv-lab:prefx", "aws:region"])
    message = str(info.value)
    assert message == (
        "hyperv-lab:prefx: unknown key (known: "
        + ", ".join(f"hyperv-lab:{k}" for k in sorted(STACK_CONFIG_KEYS))
        + "; did you mean hyperv-lab:prefix?)"
    )
    check_stack_config_keys([f"hyperv-lab:{k}" for k in STACK_CONFIG_KEYS] + ["pulumi:tags"])
    with pytest.raises(ConfigError, match=r"^hyperv-lab:zzz: unknown key \(known: [^;]*\)$"):
        check_stack_config_keys(["hyperv-lab:zzz"])
    # Set without --path, a dotted key is a top-level key of its own that nothing reads.
    with pytest.raises(ConfigError) as info:
        check_stack_config_keys(["hyperv-lab:hosts.l0.user"])
    assert str(info.value).startswith("hyperv-lab:hosts.l0.user: unknown key (known: ")
    assert str(info.value).endswith(
        "; to set a value inside hyperv-lab:hosts, use pulumi config set --path)"
    )


@pytest.mark.parametrize(
    ("name", "variable"),
    [("l0", "HYPERV_LAB_PASSWORD_L0"), ("lab-admin", "HYPERV_LAB_PASSWORD_LAB_ADMIN")],
)
def test_password_variable_is_computed_from_the_name(name: str, variable: str) -> None:
    assert password_env_var(name) == variable
    host = LabConfig.from_sources(
        hosts={name: {k: v for k, v in L0.items() if k != "password"}}, environ={variable: SECRET}
    ).host(name)
    assert host.password is not None and host.password.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "hyperv-lab:hosts: not valid JSON"),
        ("[1, 2]", "hyperv-lab:hosts: expected an object"),
    ],
)
def test_malformed_hosts_value(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LabConfig.from_sources(hosts=raw, environ={})


def test_unknown_host_and_credential_name_the_known_ones() -> None:
    lab = LabConfig.from_sources(hosts={"l0": L0}, environ={})
    with pytest.raises(ConfigError, match=r"unknown host 'l9' \(known: l0\)"):
        lab.host("l9")
    with pytest.raises(ConfigError, match=r"unknown credential 'g' \(known: none configured\)"):
        lab.host({"parent": "l0", "vm_name": "x", "credential": "g"})
    with pytest.raises(ConfigError, match="needs 'parent', 'vm_name' and 'credential'"):
        lab.host({"parent": "l0"})


def test_guest_wait_is_set_per_credential_and_checked() -> None:
    def lab(**guest: object) -> LabConfig:
        return LabConfig.from_pulumi_config(
            _FakePulumiConfig(
                {
                    "hyperv-lab:hosts": json.dumps({"l0": L0}),
                    "hyperv-lab:credentials": json.dumps(
                        {"g": {"user": "Administrator", "password": "guest-pw", **guest}}
                    ),
                }
            ),
            environ={},
        )

    def wait_of(config: LabConfig) -> float:
        host = config.host({"parent": "l0", "vm_name": "L1", "credential": "g"})
        assert host.via is not None
        return host.via.wait_s

    assert wait_of(lab()) == 180.0
    assert wait_of(lab(wait_s=30)) == 30.0
    with pytest.raises(ConfigError) as info:
        lab(wait_s=0)
    assert str(info.value) == "hyperv-lab:credentials.g.wait_s: Input should be greater than 0"


def test_journal_dir_from_stack_config_else_environment() -> None:
    from_config = LabConfig.from_pulumi_config(
        _FakePulumiConfig({"hyperv-lab:journal_dir": "/srv/journal"}),
        environ={"HYPERV_LAB_JOURNAL_DIR": "/env/journal"},
    )
    assert str(from_config.journal_dir) == "/srv/journal"
    from_env = LabConfig.from_environment({"HYPERV_LAB_JOURNAL_DIR": "/env/journal"})
    assert str(from_env.journal_dir) == "/env/journal"
    assert LabConfig.from_environment({}).journal_dir is None


IMAGE = {
    "host": "l0",
    "path": "C:\\Images\\WS2022-Datacenter.vhdx",
    "os": "windows-server",
    "build": 20348,
    "generation": 2,
}


def test_images_from_pulumi_config_or_environment() -> None:
    cfg = _FakePulumiConfig({"hyperv-lab:images": json.dumps({"ws2022": IMAGE})})
    image = LabConfig.from_pulumi_config(cfg, environ={}).image("ws2022")
    assert (image.path, image.os, image.build, image.generation, image.generalized) == (
        "C:\\Images\\WS2022-Datacenter.vhdx",
        "windows-server",
        20348,
        2,
        True,
    )
    assert image.can_run_hyper_v
    env = {"HYPERV_LAB_IMAGES": json.dumps({"old": {**IMAGE, "build": 9600, "generation": 1}})}
    old = LabConfig.from_environment(env).image("old")
    assert old.refuses_nested("old") == (
        "image 'old' is windows-server build 9600, which cannot run Hyper-V inside a VM "
        "(nested virtualization needs build 14393 or later)"
    )
    with pytest.raises(ConfigError, match=r"^hyperv-lab:images: unknown image 'x' \(known: old\)"):
        LabConfig.from_environment(env).image("x")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"generation": 3}, "hyperv-lab:images.ws.generation: must be one of 1 or 2"),
        ({"generation": "2"}, "hyperv-lab:images.ws.generation: must be one of 1 or 2"),
        ({"os": "linux"}, "hyperv-lab:images.ws.os: must be one of 'windows-server' or"),
        ({"generalized": "yes"}, "hyperv-lab:images.ws.generalized: Input should be a valid"),
        ({"path": "/images/ws.vhdx"}, "hyperv-lab:images.ws.path: must be an absolute Windows"),
        ({"path": "C:\\Images\\ws.iso"}, "hyperv-lab:images.ws.path: must be an absolute"),
        ({"edition": "datacenter"}, "hyperv-lab:images.ws.edition: unknown key"),
    ],
)
def test_bad_image_settings_name_the_key_on_one_line(
    change: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        LabConfig.from_sources(images={"ws": {**IMAGE, **change}}, environ={})
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)


def test_guest_route_carries_the_credential_name_and_its_login_retry() -> None:
    lab = LabConfig.from_sources(
        hosts={"l0": L0},
        credentials={"g": {"user": "Admin", "password": "guest-pw", "login_retry_s": 5}},
        environ={},
    )
    via = lab.host({"parent": "l0", "vm_name": "L1", "credential": "g"}).via
    assert via is not None
    assert (via.credential, via.login_retry_s, via.wait_s) == ("g", 5, 180)
    with pytest.raises(ConfigError, match=r"^hyperv-lab:credentials: unknown credential 'h'"):
        lab.credential("h")
