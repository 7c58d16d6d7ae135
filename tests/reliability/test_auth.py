"""Refused logins, untrusted, expired or not-yet-valid certificates and unsafe transports,
seen the way Pulumi shows them: the provider's error text. Each must say what to fix and carry
no secret; nothing may be created, and no credential is sent to a peer that failed TLS."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.vm_switch import VmSwitchProvider
from components.remote import POOL
from hypervsim.wire.tls import ensure_certificates
from tests.conftest import Emulator, EmulatorFactory
from tests.reliability.conftest import StackConfig, configure, stack_config


def create_switch(config: StackConfig, name: str) -> None:
    provider = configure(VmSwitchProvider, config)
    result = provider.check({}, {"host": "l0", "name": name, "switch_type": "Private"})
    assert result.failures == []
    try:
        provider.create(dict(result.inputs))
    finally:
        POOL.close_all()


def switch_names(emu: Emulator, **session_options: Any) -> list[str]:
    """Independent listing over plain pywinrm (options e.g. to ignore a dated certificate)."""
    out = emu.session(**session_options).run_ps("Get-VMSwitch | ForEach-Object { $_.Name }")
    return out.std_out.decode("utf-8").split()


def assert_no_secret(message: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in message, "a secret leaked into the error"
    assert "Traceback" not in message


def test_wrong_password_names_the_setting_to_fix(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    wrong = "Not-" + emu.password
    with pytest.raises(ProviderError) as refused:
        create_switch(stack_config(emu, password=wrong), "auth-wrong-pw")
    message = str(refused.value)
    assert "refused user 'lab-admin'" in message
    assert "hyperv-lab:hosts.l0.user and its password" in message
    assert "--secret" in message  # how to set it right
    assert_no_secret(message, wrong, emu.password)
    counters = emu.counters()
    assert counters["auth_failures"] >= 1 and counters["shells_opened"] == 0
    assert "auth-wrong-pw" not in switch_names(emu)


def test_wrong_user_is_refused_the_same_way(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    with pytest.raises(ProviderError) as refused:
        create_switch(stack_config(emu, user="someone-else"), "auth-wrong-user")
    message = str(refused.value)
    assert "refused user 'someone-else'" in message and "hyperv-lab:hosts.l0.user" in message
    assert_no_secret(message, emu.password)
    assert emu.counters()["shells_opened"] == 0


def test_self_signed_https_without_ca_asks_for_ca_bundle(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory(https=True)
    config = stack_config(emu, ca_bundle=None)  # the host's CA is not trusted by this client
    with pytest.raises(ProviderError) as refused:
        create_switch(config, "auth-tls")
    message = str(refused.value)
    assert "certificate" in message and "not trusted" in message
    assert "hyperv-lab:hosts.l0.ca_bundle" in message
    assert_no_secret(message, emu.password)
    assert emu.counters()["logins"] == 0  # no credential was ever sent to an untrusted peer


def test_https_with_another_ca_says_that_ca_does_not_sign_it(
    emulator_factory: EmulatorFactory,
) -> None:
    """ca_bundle is set, to the wrong CA: the message names that file instead of asking the
    user to set what they already set."""
    emu = emulator_factory(https=True)
    other = emulator_factory(https=True)  # its own self-signed CA
    assert other.ca_path is not None and other.ca_path != emu.ca_path
    with pytest.raises(ProviderError) as refused:
        create_switch(stack_config(emu, ca_bundle=str(other.ca_path)), "auth-other-ca")
    message = str(refused.value)
    assert f"not signed by the CA in hyperv-lab:hosts.l0.ca_bundle ({other.ca_path})" in message
    assert "not trusted: set" not in message
    assert_no_secret(message, emu.password)
    assert emu.counters()["logins"] == 0


def test_self_signed_https_with_its_ca_works(emulator_factory: EmulatorFactory) -> None:
    """The fix the message above names does fix it."""
    emu = emulator_factory(https=True)
    create_switch(stack_config(emu), "auth-tls-ok")
    assert "auth-tls-ok" in switch_names(emu)


def test_basic_over_plain_http_is_refused_before_anything_is_sent(
    emulator_factory: EmulatorFactory,
) -> None:
    # Even a host that would accept it (AllowUnencrypted + Basic) never gets the password.
    emu = emulator_factory(allow_unencrypted=True)
    with pytest.raises(ProviderError) as refused:
        create_switch(stack_config(emu, transport="basic"), "auth-basic")
    message = str(refused.value)
    assert "basic" in message and "https://" in message and "ntlm" in message
    assert "hyperv-lab:hosts" in message or "l0" in message  # names the host entry
    assert_no_secret(message, emu.password)
    assert emu.counters()["requests"] == 0


@pytest.mark.parametrize(
    ("window_days", "expected"),
    [((-30, -1), "has expired: renew"), ((1, 30), "not valid yet: check the clocks")],
    ids=["expired", "not-yet-valid"],
)
def test_out_of_date_certificate_says_so_instead_of_blaming_the_ca(
    emulator_factory: EmulatorFactory,
    tmp_path: Path,
    window_days: tuple[int, int],
    expected: str,
) -> None:
    """A certificate signed by the trusted CA but outside its validity window: the message
    must not send the user to ca_bundle (the CA is right), and no credential is sent."""
    now = datetime.datetime.now(datetime.UTC)
    cert_dir = tmp_path / "dated-certs"
    ensure_certificates(
        cert_dir,
        server_validity=(
            now + datetime.timedelta(days=window_days[0]),
            now + datetime.timedelta(days=window_days[1]),
        ),
    )
    emu = emulator_factory(https=True, cert_dir=cert_dir)
    with pytest.raises(ProviderError) as refused:
        create_switch(stack_config(emu), "auth-dated-cert")  # trusts ca.pem
    message = str(refused.value)
    assert expected in message, message
    assert "ca_bundle" not in message
    assert_no_secret(message, emu.password)
    assert emu.counters(verify_tls=False)["logins"] == 0
    assert "auth-dated-cert" not in switch_names(emu, server_cert_validation="ignore")
