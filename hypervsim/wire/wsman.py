"""WS-Management dispatch: one parsed request -> the reply envelope real Windows would send."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from hypervsim.wire import soap
from hypervsim.wire.counters import Counters
from hypervsim.wire.launch import create_process
from hypervsim.wire.processes import ProcessContext
from hypervsim.wire.shells import Shell, ShellManager
from hypervsim.wire.soap import NS_ADDR, NS_CONFIG, NS_SHELL, NS_TRANSFER, NS_WSMAN, q

ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
ACTION_COMMAND = f"{NS_SHELL}/Command"
ACTION_SEND = f"{NS_SHELL}/Send"
ACTION_RECEIVE = f"{NS_SHELL}/Receive"
ACTION_SIGNAL = f"{NS_SHELL}/Signal"
STATE_DONE = f"{NS_SHELL}/CommandState/Done"
STATE_RUNNING = f"{NS_SHELL}/CommandState/Running"
SIGNALS = (
    f"{NS_SHELL}/signal/terminate",
    f"{NS_SHELL}/signal/ctrl_c",
    f"{NS_SHELL}/signal/ctrl_break",
)
CONFIG_URI = "http://schemas.microsoft.com/wbem/wsman/1/config"

MAX_RECEIVE_WAIT = 20.0  # seconds: well under pywinrm's 30 s read timeout
SIGNAL_WAIT = 5.0  # seconds a terminate waits for the process's worker to be gone
STREAM_CHUNK = 8192  # raw bytes per rsp:Stream element
MAX_ENVELOPE_KB = 500


@dataclass
class CallInfo:
    """Who sent the request and through which address (for Create's reply)."""

    user: str
    client_ip: str
    address: str  # e.g. http://127.0.0.1:5985/wsman


class WsmanDispatcher:
    """Routes requests by Action to the shell manager and builds replies (or raises faults)."""

    def __init__(
        self,
        shells: ShellManager,
        counters: Counters,
        context_factory: Callable[[Shell], ProcessContext],
        max_receive_wait: float = MAX_RECEIVE_WAIT,
        slow_receive_seconds: float = 0.0,
    ) -> None:
        self.shells = shells
        self.counters = counters
        self.context_factory = context_factory
        self.max_receive_wait = max_receive_wait
        self.slow_receive_seconds = slow_receive_seconds

    def handle(self, req: soap.WsmanRequest, call: CallInfo) -> bytes:
        transfer = {ACTION_CREATE: self._create, ACTION_GET: self._get}
        on_shell = {
            ACTION_DELETE: self._delete,
            ACTION_COMMAND: self._command,
            ACTION_SEND: self._send,
            ACTION_RECEIVE: self._receive,
            ACTION_SIGNAL: self._signal,
        }
        if req.action in transfer:
            return transfer[req.action](req, call)
        handler = on_shell.get(req.action)
        if handler is None:
            raise soap.action_not_supported(req.action)
        shell_id = req.selectors.get("ShellId")
        if not shell_id:
            raise soap.invalid_selectors(
                "The WS-Management service cannot process the request because the ShellId "
                "selector is missing. "
            )
        # A request naming a shell is activity: the shell's idle time starts when it ends.
        with self.shells.using(shell_id) as shell:
            return handler(req, call, shell)

    def _reply(self, req: soap.WsmanRequest, action: str, body: list[ET.Element]) -> bytes:
        return soap.build_envelope(action, req.message_id, body)

    # -- transfer ------------------------------------------------------------------------
    def _create(self, req: soap.WsmanRequest, call: CallInfo) -> bytes:
        if req.resource_uri.lower() != soap.CMD_RESOURCE_URI:
            raise soap.action_not_supported(f"{req.action} on {req.resource_uri}")
        body_shell = req.body.find(q(NS_SHELL, "Shell"))
        if body_shell is None:
            raise soap.invalid_xml("the Create body has no rsp:Shell")
        codepage_text = req.options.get("WINRS_CODEPAGE", "437")
        shell = Shell(
            shell_id=soap.new_uuid(),
            owner=call.user,
            client_ip=call.client_ip,
            codepage=int(codepage_text) if codepage_text.isdigit() else 437,
        )
        env_el = body_shell.find(q(NS_SHELL, "Environment"))
        if env_el is not None:
            for var in env_el.findall(q(NS_SHELL, "Variable")):
                shell.environment[var.get("Name", "")] = var.text or ""
        wd = body_shell.findtext(q(NS_SHELL, "WorkingDirectory"))
        if wd:
            shell.working_directory = wd.strip()
        idle_text = body_shell.findtext(q(NS_SHELL, "IdleTimeOut"))
        requested_idle: float | None = None
        if idle_text is not None:
            requested_idle = soap.parse_duration(idle_text)
            if requested_idle is None:  # e.g. milliseconds where an xs:duration belongs
                raise soap.schema_validation()
        shell.idle_timeout_s = self.shells.idle_timeout_for(requested_idle)
        shell.input_streams = (body_shell.findtext(q(NS_SHELL, "InputStreams")) or "stdin").strip()
        shell.output_streams = (
            body_shell.findtext(q(NS_SHELL, "OutputStreams")) or "stdout stderr"
        ).strip()
        self.shells.add(shell)
        self.counters.add("shells_opened")

        created = ET.Element(q(NS_TRANSFER, "ResourceCreated"))
        ET.SubElement(created, q(NS_ADDR, "Address")).text = call.address
        ref = ET.SubElement(created, q(NS_ADDR, "ReferenceParameters"))
        ET.SubElement(ref, q(NS_WSMAN, "ResourceURI")).text = soap.CMD_RESOURCE_URI
        sel_set = ET.SubElement(ref, q(NS_WSMAN, "SelectorSet"))
        ET.SubElement(sel_set, q(NS_WSMAN, "Selector"), {"Name": "ShellId"}).text = shell.shell_id
        info = ET.Element(q(NS_SHELL, "Shell"))
        ET.SubElement(info, q(NS_SHELL, "ShellId")).text = shell.shell_id
        ET.SubElement(info, q(NS_SHELL, "ResourceUri")).text = soap.CMD_RESOURCE_URI
        ET.SubElement(info, q(NS_SHELL, "Owner")).text = call.user
        ET.SubElement(info, q(NS_SHELL, "ClientIP")).text = call.client_ip
        if shell.environment:
            env_out = ET.SubElement(info, q(NS_SHELL, "Environment"))
            for name, value in shell.environment.items():
                ET.SubElement(env_out, q(NS_SHELL, "Variable"), {"Name": name}).text = value
        if shell.working_directory:
            ET.SubElement(info, q(NS_SHELL, "WorkingDirectory")).text = shell.working_directory
        ET.SubElement(info, q(NS_SHELL, "IdleTimeOut")).text = shell.idle_timeout
        ET.SubElement(info, q(NS_SHELL, "InputStreams")).text = shell.input_streams
        ET.SubElement(info, q(NS_SHELL, "OutputStreams")).text = shell.output_streams
        ET.SubElement(info, q(NS_SHELL, "ShellRunTime")).text = "P0DT0H0M0S"
        ET.SubElement(info, q(NS_SHELL, "ShellInactivity")).text = "P0DT0H0M0S"
        return self._reply(req, f"{ACTION_CREATE}Response", [created, info])

    def _delete(self, req: soap.WsmanRequest, call: CallInfo, shell: Shell) -> bytes:
        # Deleting a shell terminates its commands (MS-WSMV 3.1.4.4.1); as with Signal, the
        # reply comes once their processes are gone (bounded).
        for process in self.shells.delete(shell.shell_id):
            process.wait_ended(SIGNAL_WAIT)
        return self._reply(req, f"{ACTION_DELETE}Response", [])

    def _get(self, req: soap.WsmanRequest, call: CallInfo) -> bytes:
        if req.resource_uri.rstrip("/").lower() != CONFIG_URI:
            raise soap.action_not_supported(f"{req.action} on {req.resource_uri}")
        cfg = ET.Element(q(NS_CONFIG, "Config"))
        for name, value in (
            ("MaxEnvelopeSizekb", str(MAX_ENVELOPE_KB)),
            ("MaxTimeoutms", "60000"),
            ("MaxBatchItems", "32000"),
            ("MaxProviderRequests", "4294967295"),
        ):
            ET.SubElement(cfg, q(NS_CONFIG, name)).text = value
        winrs = ET.SubElement(cfg, q(NS_CONFIG, "Winrs"))
        for name, value in (
            ("AllowRemoteShellAccess", "true"),
            ("IdleTimeout", str(round(self.shells.idle_timeout_s * 1000))),
            ("MaxConcurrentUsers", "2147483647"),
            ("MaxShellsPerUser", str(self.shells.max_shells_per_user)),
        ):
            ET.SubElement(winrs, q(NS_CONFIG, name)).text = value
        return self._reply(req, f"{ACTION_GET}Response", [cfg])

    # -- shell ---------------------------------------------------------------------------
    def _command(self, req: soap.WsmanRequest, call: CallInfo, shell: Shell) -> bytes:
        line = req.body.find(q(NS_SHELL, "CommandLine"))
        if line is None:
            raise soap.invalid_xml("the Command body has no rsp:CommandLine")
        command = (line.findtext(q(NS_SHELL, "Command")) or "").strip()
        arguments = [a.text or "" for a in line.findall(q(NS_SHELL, "Arguments"))]
        skip_cmd = req.options.get("WINRS_SKIP_CMD_SHELL", "false").lower() == "true"
        if skip_cmd and "\\" not in command and "/" not in command:
            raise soap.file_not_found()
        command_id = (line.get("CommandId") or soap.new_uuid()).upper()
        self.shells.check_new_command(shell.owner)
        process = create_process(self.context_factory(shell), command, arguments, skip_cmd)
        shell.add_command(command_id, process)
        self.counters.add("commands")
        process.start()
        response = ET.Element(q(NS_SHELL, "CommandResponse"))
        ET.SubElement(response, q(NS_SHELL, "CommandId")).text = command_id
        return self._reply(req, f"{ACTION_COMMAND}Response", [response])

    def _send(self, req: soap.WsmanRequest, call: CallInfo, shell: Shell) -> bytes:
        send = req.body.find(q(NS_SHELL, "Send"))
        if send is None:
            raise soap.invalid_xml("the Send body has no rsp:Send")
        for stream in send.findall(q(NS_SHELL, "Stream")):
            process = shell.command(stream.get("CommandId", ""))
            data = base64.b64decode(stream.text or "")
            end = (stream.get("End") or "false").lower() == "true"
            process.send_stdin(data, end)
        return self._reply(req, f"{ACTION_SEND}Response", [ET.Element(q(NS_SHELL, "SendResponse"))])

    def _receive(self, req: soap.WsmanRequest, call: CallInfo, shell: Shell) -> bytes:
        desired = req.body.find(f"{q(NS_SHELL, 'Receive')}/{q(NS_SHELL, 'DesiredStream')}")
        if desired is None or not desired.get("CommandId"):
            raise soap.invalid_parameter()
        command_id = desired.get("CommandId", "").upper()
        process = shell.command(command_id)
        wait = min(req.operation_timeout or self.max_receive_wait, self.max_receive_wait)
        self.counters.add("receives")
        if not process.wait_for_output(wait):
            raise soap.timed_out()
        if self.slow_receive_seconds:
            self.counters.add("slow_receives")
            self.counters.add("slow_receive_ms", round(self.slow_receive_seconds * 1000))
            time.sleep(self.slow_receive_seconds)
        max_envelope = req.max_envelope_size or 153600
        limit = max(1024, min(512 * 1024, (max_envelope - 8192) * 3 // 4))
        stdout, stderr, done, exit_code = process.take_output(limit)

        response = ET.Element(q(NS_SHELL, "ReceiveResponse"))
        for name, data in (("stdout", stdout), ("stderr", stderr)):
            for start in range(0, len(data), STREAM_CHUNK):
                chunk = data[start : start + STREAM_CHUNK]
                el = ET.SubElement(
                    response, q(NS_SHELL, "Stream"), {"Name": name, "CommandId": command_id}
                )
                el.text = base64.b64encode(chunk).decode("ascii")
        if done:
            for name in ("stdout", "stderr"):
                ET.SubElement(
                    response,
                    q(NS_SHELL, "Stream"),
                    {"Name": name, "CommandId": command_id, "End": "true"},
                )
        state = ET.SubElement(
            response,
            q(NS_SHELL, "CommandState"),
            {"CommandId": command_id, "State": STATE_DONE if done else STATE_RUNNING},
        )
        if done:
            ET.SubElement(state, q(NS_SHELL, "ExitCode")).text = str(exit_code or 0)
        return self._reply(req, f"{ACTION_RECEIVE}Response", [response])

    def _signal(self, req: soap.WsmanRequest, call: CallInfo, shell: Shell) -> bytes:
        signal = req.body.find(q(NS_SHELL, "Signal"))
        if signal is None:
            raise soap.invalid_xml("the Signal body has no rsp:Signal")
        code = (signal.findtext(q(NS_SHELL, "Code")) or "").strip()
        if code not in SIGNALS:
            raise soap.invalid_parameter()
        process = shell.remove_command(signal.get("CommandId", ""))
        process.terminate()
        # As on Windows, the reply comes once the process is gone (a line in the middle of
        # interpreter work, not a sleep, finishes that work first; we do not wait forever).
        process.wait_ended(SIGNAL_WAIT)
        return self._reply(
            req, f"{ACTION_SIGNAL}Response", [ET.Element(q(NS_SHELL, "SignalResponse"))]
        )
