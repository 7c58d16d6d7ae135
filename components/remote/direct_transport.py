"""pywinrm's transport, minus requests' reading (and writing) of proxy settings in os.environ.

Hosts are reached directly (`proxy=None`). For that pywinrm gives its requests session the
proxy map `{"no_proxy": "*"}`, and requests, for every request of a session that trusts the
environment, applies it by SETTING `os.environ["no_proxy"]` around a proxy lookup and deleting
it afterwards (`requests.utils.set_environ`). The environment is one per process, so two
threads doing that at once (the provider runs calls in parallel) can both delete it: the
second fails with `KeyError: 'no_proxy'` and a provider operation fails for nothing (seen in
bench runs). Besides, the lookup parses the whole environment on every request.

`DirectTransport` builds the same session as pywinrm (auth, certificate checks, message
encryption) with `trust_env = False` before its first request, so no request consults the
environment; the one lookup pywinrm's set-up makes per connection (which still sets and deletes
the variable) is serialised by a lock, with no network I/O inside it. Its NTLM login takes
two round trips where the host allows it (components/remote/ntlm_login.py).
"""

from __future__ import annotations

import threading

import requests
from winrm.encryption import Encryption
from winrm.protocol import Protocol
from winrm.transport import Transport

from components.remote.ntlm_login import login_in_two_round_trips

_ENV_LOOKUP = threading.Lock()


class DirectTransport(Transport):
    """A pywinrm Transport whose requests session never trusts the environment."""

    _defer_encryption = False
    _encryption_deferred = False

    def build_session(self) -> requests.Session:
        if self.session:
            return self.session
        # pywinrm's set-up reads proxies and CA settings from the environment (no I/O here:
        # the encryption handshake it would start is deferred below, out of the lock).
        with _ENV_LOOKUP:
            self._defer_encryption = True
            try:
                session = super().build_session()
            finally:
                self._defer_encryption = False
        session.trust_env = False
        if self._encryption_deferred:
            self._encryption_deferred = False
            self.setup_encryption(session)
        return session

    def setup_encryption(self, session: requests.Session) -> None:
        if self._defer_encryption:
            self._encryption_deferred = True
            return
        if self.auth_method == "ntlm" and login_in_two_round_trips(
            session, self.endpoint, self.read_timeout_sec, self._send_message_request
        ):
            self.encryption = Encryption(session, self.auth_method)
            return
        super().setup_encryption(session)


def use_direct_transport(protocol: Protocol) -> Protocol:
    """Make `protocol` (not used yet) send through a DirectTransport; returns it."""
    transport = protocol.transport
    if transport.session is not None:
        raise ValueError("the protocol's transport already has a session")
    transport.__class__ = DirectTransport
    return protocol
