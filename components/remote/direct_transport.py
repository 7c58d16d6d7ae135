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
the variable) is serialised by a lock, with no network I/O inside it. Its NTLM login costs one
round trip of its own where the host allows it: the authenticate message rides with the first
request (components/remote/ntlm_login.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from winrm.encryption import Encryption
from winrm.exceptions import InvalidCredentialsError
from winrm.protocol import Protocol
from winrm.transport import Transport

from components.remote.ntlm_login import start_login

_ENV_LOOKUP = threading.Lock()
_LOGIN_ON_ITS_OWN: set[str] = set()
"""Endpoints that refused a login carried by a request: they get an empty request for it."""
log = logging.getLogger(__name__)


class DirectTransport(Transport):
    """A pywinrm Transport whose requests session never trusts the environment."""

    _defer_encryption = False
    _encryption_deferred = False
    _alone = False  # log in with an empty request of its own (the fallback)
    pending_login: str | None = None
    """The NTLM authenticate header the next request carries (it completes the login)."""

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
        if self.auth_method == "ntlm":
            token = start_login(session, self.endpoint, self.read_timeout_sec)
            if token is not None:
                self.encryption = Encryption(session, self.auth_method)
                if self._alone or self.endpoint in _LOGIN_ON_ITS_OWN:
                    empty = session.prepare_request(requests.Request("POST", self.endpoint))
                    empty.headers["Authorization"] = token
                    self._send_message_request(session, empty)
                else:
                    self.pending_login = token
                return
        super().setup_encryption(session)

    @property
    def login_complete(self) -> bool:
        """Whether this connection's login went through (the host answered the request that
        carried the authenticate message)."""
        return self.encryption is not None and self.pending_login is None

    def send_message(self, message: str | bytes) -> bytes:
        session = self.build_session()
        if self.pending_login is None or self.encryption is None:
            return super().send_message(message)
        data = message.encode("utf-8") if isinstance(message, str) else message
        prepared = self.encryption.prepare_encrypted_request(session, self.endpoint, data)
        prepared.headers["Authorization"] = self.pending_login

        def answered(response: requests.Response, *_: Any, **__: Any) -> requests.Response:
            # A sealed answer (a WS-Man fault too) means the host took the login.
            if response.status_code != 401 and response.headers.get("Content-Type", "").startswith(
                "multipart/encrypted"
            ):
                self.pending_login = None
            return response

        prepared.register_hook("response", answered)
        try:
            response = self._send_message_request(session, prepared)
        except InvalidCredentialsError:
            # Refused with the request (not processed): log in on its own, as pywinrm does,
            # on a new connection; a wrong password is refused there too.
            self.pending_login = None
            self.encryption = None
            self.close_session()
            self._alone = True
            try:
                answer = super().send_message(message)
            finally:
                self._alone = False
            # The host takes a login on its own but not one carried by a request: remember.
            log.info("%s refused a login carried by a request; logging in first", self.endpoint)
            _LOGIN_ON_ITS_OWN.add(self.endpoint)
            return answer
        return self._get_message_response_text(response)


def use_direct_transport(protocol: Protocol) -> Protocol:
    """Make `protocol` (not used yet) send through a DirectTransport; returns it."""
    transport = protocol.transport
    if transport.session is not None:
        raise ValueError("the protocol's transport already has a session")
    transport.__class__ = DirectTransport
    return protocol
