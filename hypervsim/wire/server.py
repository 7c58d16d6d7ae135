"""`WinRmServer`: the emulated host's WinRM listener, wiring HTTP, auth, shells and the world."""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from spnego.channel_bindings import GssChannelBindings

from hypervsim.wire import soap, task_runner
from hypervsim.wire.auth import Credentials, tls_server_end_point, write_ntlm_user_file
from hypervsim.wire.counters import Counters
from hypervsim.wire.faults import FaultInjector, FaultSpec
from hypervsim.wire.http import WsmanHttpServer
from hypervsim.wire.processes import ProcessContext, SessionFactory, default_session_factory
from hypervsim.wire.shells import (
    MAX_OPERATIONS_PER_USER,
    MAX_SHELLS_PER_USER,
    Shell,
    ShellManager,
)
from hypervsim.wire.tls import (
    CertificatePaths,
    ensure_certificates,
    server_certificate_der,
    server_context,
)
from hypervsim.wire.wsman import MAX_ENVELOPE_KB, MAX_RECEIVE_WAIT, CallInfo, WsmanDispatcher

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import World


@dataclass
class ServerConfig:
    """Everything `python -m hypervsim serve` can set."""

    user: str
    password: str
    port: int = 0  # 0: pick a free port (see WinRmServer.port)
    bind: str = "127.0.0.1"
    https: bool = False
    cert_dir: Path | None = None
    allow_unencrypted: bool = False
    state_path: Path | None = None
    latency_ms: float = 0.0
    ps_start_ms: float = 0.0
    seed: int = 0
    faults: list[FaultSpec] = field(default_factory=list)
    max_shells_per_user: int = MAX_SHELLS_PER_USER
    max_operations_per_user: int = MAX_OPERATIONS_PER_USER
    max_envelope_kb: int = MAX_ENVELOPE_KB
    max_receive_wait: float = MAX_RECEIVE_WAIT
    verbose: bool = False


def _check_loopback(bind: str) -> None:
    if bind == "localhost":
        return
    if not ipaddress.ip_address(bind).is_loopback:
        raise ValueError(f"hypervsim binds to loopback only, not {bind}")


class WinRmServer:
    """WS-Management over HTTP(S) for one World. `start()` returns once listening."""

    def __init__(
        self,
        world: World,
        config: ServerConfig,
        session_factory: SessionFactory | None = None,
    ) -> None:
        _check_loopback(config.bind)
        self.world = world
        self.config = config
        self.credentials = Credentials(config.user, config.password)
        self.counters = Counters()
        self.faults = FaultInjector(config.faults, config.seed)
        self.shells = ShellManager(
            config.max_shells_per_user,
            self._shells_changed,
            max_operations_per_user=config.max_operations_per_user,
        )
        self.session_factory = session_factory or default_session_factory
        self.dispatcher = WsmanDispatcher(
            self.shells,
            self.counters,
            self._process_context,
            max_receive_wait=config.max_receive_wait,
            slow_receive_seconds=self.faults.slow_receive_seconds,
        )
        self.max_envelope_bytes = config.max_envelope_kb * 1024
        self.max_body_bytes = self.max_envelope_bytes + 4096  # sealing framing overhead
        self.certificates: CertificatePaths | None = None
        self.channel_bindings: GssChannelBindings | None = None
        self._http: WsmanHttpServer | None = None
        self._thread: threading.Thread | None = None
        self._user_file: Path | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        task_runner.install(self)
        self._user_file = write_ntlm_user_file(self.credentials, self.machine_name)
        tls = None
        if self.config.https:
            cert_dir = self.config.cert_dir or Path.cwd() / "hypervsim-certs"
            self.certificates = ensure_certificates(cert_dir)
            tls = server_context(self.certificates)
            self.channel_bindings = tls_server_end_point(server_certificate_der(self.certificates))
        self._http = WsmanHttpServer((self.config.bind, self.config.port), self, tls)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.1},  # how soon stop() is noticed
            name="hypervsim-http",
            daemon=True,
        )
        self._thread.start()
        self.shells.start_reaper()

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        self.shells.stop_reaper()
        self.shells.close_all()
        if self._user_file is not None:
            try:
                os.unlink(self._user_file)
            except OSError:
                pass
            self._user_file = None

    @property
    def port(self) -> int:
        assert self._http is not None, "server not started"
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.config.https else "http"
        host = self.config.bind if ":" not in self.config.bind else f"[{self.config.bind}]"
        return f"{scheme}://{host}:{self.port}/wsman"

    @property
    def machine_name(self) -> str:
        root = getattr(self.world, "root", None)
        return str(getattr(root, "name", "HV-HOST01"))

    # -- used by the HTTP layer ----------------------------------------------------------
    def handle_soap(self, data: bytes, call: CallInfo) -> tuple[int, bytes]:
        """(HTTP status, reply envelope) for one plain SOAP request."""
        relates_to: str | None = None
        try:
            req = soap.parse_request(data)
            relates_to = req.message_id or None
            if self.config.verbose:
                # Which WS-Man operation on which shell: enough to see round trips per
                # operation without logging any command text (it may hold secrets).
                # Both come from the client: printable characters only (no forged lines).
                action = "".join(c for c in req.action.rsplit("/", 1)[-1] if c.isprintable())
                shell = "".join(c for c in req.selectors.get("ShellId", "-") if c.isprintable())
                sys.stderr.write(f"{call.client_ip} wsman {action} shell={shell}\n")
            return 200, self.dispatcher.handle(req, call)
        except soap.SoapFaultError as fault:
            self.counters.add("faults")
            return 500, soap.build_fault(fault, relates_to, self.machine_name)

    def reboot_host(self) -> None:
        """Fault injection: the host reboots; every shell and process is gone."""
        self.shells.close_all()
        with self.world.lock:
            self.world.reboot_host()
            if self.config.state_path is not None:
                self.world.save(self.config.state_path)

    def _shells_changed(self, open_count: int) -> None:
        self.counters.set("shells_open", open_count)

    def _process_context(self, shell: Shell) -> ProcessContext:
        return ProcessContext(
            world=self.world,
            session_factory=self.session_factory,
            counters=self.counters,
            codepage=shell.codepage,
            state_path=self.config.state_path,
            ps_start_seconds=self.config.ps_start_ms / 1000.0,
            environment=dict(shell.environment),
            working_directory=shell.working_directory or f"C:\\Users\\{shell.owner}",
            user=shell.owner,
        )
