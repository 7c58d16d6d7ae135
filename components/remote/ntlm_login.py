"""An NTLM login in one round trip of its own instead of pywinrm's three.

pywinrm sets up message encryption by POSTing an empty body with no credentials, which the
host answers 401 ("WWW-Authenticate: Negotiate"); requests_ntlm then sends the NTLM negotiate
message (401 with the challenge) and the authenticate message with an empty body (200): three
round trips per new connection before the first real request. HTTP lets the client open with
its negotiate message (WinRM answers it with the challenge at once), which saves the first;
and the authenticate message goes with the first real request, already sealed with the keys it
carries (as Windows' own winrs client sends it), which saves the last.

Where the host does not answer the opening negotiate message with a challenge, nothing is
set up and the caller falls back to pywinrm's own login on the same session.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlparse

import requests
import spnego
from requests_ntlm.requests_ntlm import HttpNtlmAuth, ShimSessionSecurity

log = logging.getLogger(__name__)

SCHEME = "Negotiate"


def _challenge_token(response: requests.Response) -> bytes | None:
    """The NTLM challenge a 401 carries in `WWW-Authenticate: Negotiate <token>`, if any."""
    if response.status_code != 401:
        return None
    for value in response.headers.get("www-authenticate", "").split(","):
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == SCHEME.lower() and token.strip():
            try:
                return base64.b64decode(token.strip())
            except ValueError:
                return None
    return None


def start_login(session: requests.Session, endpoint: str, timeout: Any) -> str | None:
    """The first of the login's two round trips: open with the NTLM negotiate message, take
    the host's challenge, and make `session` ready to seal messages. Returns the authenticate
    token (base64) that must go in the `Authorization` header of the next request, the first
    real one (sealed), which completes the login; None, with nothing set up beyond the first
    request, when the host did not answer the negotiate message with a challenge."""
    auth = session.auth
    if not isinstance(auth, HttpNtlmAuth) or not auth.username or not auth.password:
        return None
    client = spnego.client(
        auth.username,
        auth.password,
        protocol="ntlm",
        hostname=str(urlparse(endpoint).hostname),
        service="http",
        options=spnego.NegotiateOptions.use_ntlm,
    )
    negotiate = base64.b64encode(client.step() or b"").decode()
    opening = session.prepare_request(
        requests.Request("POST", endpoint, headers={"Authorization": f"{SCHEME} {negotiate}"})
    )
    first = session.send(opening, timeout=timeout)
    _ = first.content  # read it all, so the same connection carries the next request
    challenge = _challenge_token(first)
    if challenge is None:
        log.debug("no NTLM challenge for an opening negotiate (%s)", first.status_code)
        return None
    authenticate = base64.b64encode(client.step(challenge) or b"").decode()
    auth.session_security = ShimSessionSecurity(client)
    return f"{SCHEME} {authenticate}"
