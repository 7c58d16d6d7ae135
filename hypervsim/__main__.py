"""`python -m hypervsim serve ...` (the emulated host) and `python -m hypervsim show --state F`.

`serve --host-profile list` prints the physical host profiles to choose from. A mistake on
the command line (an unknown profile, a non-loopback `--bind`) is one line and exit code 2,
never a traceback.

The WinRM password comes from `--password-file FILE` or the environment variable
HYPERVSIM_PASSWORD (preferred: neither shows up in `ps`); `--password` still works but
puts the password on the command line, where every local user can read it.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import ssl
import sys
import threading
import urllib.request
from pathlib import Path

from hypervsim.wire.faults import FaultSpec
from hypervsim.world.profiles import DEFAULT_PROFILE, PROFILES

LIST_PROFILES = "list"


def _fault(text: str) -> FaultSpec:
    try:
        return FaultSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _profile(text: str) -> str:
    if text == LIST_PROFILES or text in PROFILES:
        return text
    known = ", ".join(sorted(PROFILES))
    raise argparse.ArgumentTypeError(
        f"unknown host profile {text!r} (allowed: {known}; '{LIST_PROFILES}' describes them)"
    )


def _loopback(text: str) -> str:
    """The emulator accepts any password scheme a test asks for: never reachable from
    another machine, so only loopback addresses are allowed."""
    try:
        loopback = text == "localhost" or ipaddress.ip_address(text).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the emulator binds to loopback only (allowed: 127.0.0.1, ::1, localhost)"
        )
    return text


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text!r}: a number >= 0 (0: instant)")
    return value


def describe_profiles() -> str:
    """One line per host profile: name, Windows build, edition, CPU, VBS, size."""
    lines = []
    for name, p in sorted(PROFILES.items()):
        default = " (default)" if name == DEFAULT_PROFILE else ""
        vbs = ", VBS on" if p.vbs else ""
        lines.append(
            f"{name}{default}: build {p.build} {p.edition}, {p.cpu_vendor}{vbs}, "
            f"{p.logical_processors} logical processors, {p.memory_bytes // 1024**3} GiB"
        )
    return "\n".join(lines)


PASSWORD_ENV = "HYPERVSIM_PASSWORD"


class PasswordError(ValueError):
    """No usable password was given."""


def resolve_password(args: argparse.Namespace, environ: dict[str, str] | None = None) -> str:
    """--password-file, else --password, else $HYPERVSIM_PASSWORD; an empty password is refused.

    The file's first line is the password (its line break is not part of it).
    """
    env = os.environ if environ is None else environ
    if args.password_file is not None:
        try:
            text = args.password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PasswordError(f"cannot read --password-file: {exc.strerror}") from None
        password = text.splitlines()[0] if text else ""
        source = f"--password-file {args.password_file}"
    elif args.password is not None:
        password, source = args.password, "--password"
    else:
        password, source = env.get(PASSWORD_ENV, ""), PASSWORD_ENV
        if not password:
            raise PasswordError(
                f"no password: use --password-file FILE or set {PASSWORD_ENV} (or --password)"
            )
    if not password:
        raise PasswordError(f"the password from {source} is empty")
    return password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hypervsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the emulated Hyper-V host's WinRM listener")
    serve.add_argument("--port", type=int, default=5985, help="TCP port (0: any free port)")
    serve.add_argument("--user", help="the account WinRM accepts (required to serve)")
    secret = serve.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-file",
        type=Path,
        help=f"read the password from the first line of FILE (preferred, or env {PASSWORD_ENV})",
    )
    secret.add_argument(
        "--password",
        help=f"the password itself (visible in `ps`; prefer --password-file or {PASSWORD_ENV})",
    )
    serve.add_argument(
        "--bind", type=_loopback, default="127.0.0.1", help="loopback address to bind"
    )
    serve.add_argument("--https", action="store_true", help="TLS with a self-signed CA")
    serve.add_argument("--cert-dir", type=Path, help="where ca.pem and the server cert live")
    serve.add_argument(
        "--allow-unencrypted", action="store_true", help="accept Basic and plain SOAP over HTTP"
    )
    serve.add_argument("--state", type=Path, help="persist the whole world in this JSON file")
    serve.add_argument(
        "--host-profile",
        type=_profile,
        default=DEFAULT_PROFILE,
        help=f"the physical host to emulate ('{LIST_PROFILES}' describes the choices)",
    )
    serve.add_argument("--latency-ms", type=float, default=0.0, help="delay per HTTP round trip")
    serve.add_argument(
        "--ps-start-ms", type=float, default=0.0, help="cost of each PowerShell process start"
    )
    serve.add_argument(
        "--time-scale",
        type=_time_scale,
        default=0.0,
        metavar="F",
        help="give operations a real host's durations times F (guest boots, feature installs, "
        "disk copies; Start-Sleep too); 0, the default, is instant",
    )
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="PATH=DESC",
        help="an OS image file on the host, e.g. 'C:\\Images\\WS2012R2.vhdx=family=windows-server,"
        "build=9600,edition=server,generation=1,generalized=true' (or generalized=false,"
        "admin_password=... for a prepared image)",
    )
    serve.add_argument(
        "--executed-keep",
        type=int,
        default=None,
        metavar="N",
        help="newest command names kept in the world's execution record (default 5000)",
    )
    serve.add_argument("--fault", type=_fault, action="append", default=[], metavar="SPEC")
    serve.add_argument(
        "--verbose", action="store_true", help="log every HTTP request and its WS-Man action"
    )

    show = sub.add_parser("show", help="print the world's tree (and live counters)")
    show.add_argument("--state", type=Path, required=True)
    show.add_argument(
        "--counters-url", help="counters of a running server (default: found via the state file)"
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    from hypervsim.wire.server import ServerConfig, WinRmServer
    from hypervsim.world.images import install_image, parse_image_spec
    from hypervsim.world.model import World

    try:
        password = resolve_password(args)
    except PasswordError as exc:
        print(f"hypervsim: {exc}", file=sys.stderr)
        return 2
    images = []
    for text in args.image:
        try:
            images.append(parse_image_spec(text))
        except ValueError as exc:
            print(f"hypervsim: bad --image value {text!r}: {exc}", file=sys.stderr)
            return 2
    if args.state is not None and args.state.exists():
        world = World.load(args.state)
    else:
        world = World.create(args.host_profile, args.seed)
    for spec in images:
        install_image(world.root, spec)
    if args.state is not None and (images or not args.state.exists()):
        world.save(args.state)
    if args.executed_keep is not None:
        world.executed_keep = max(1, args.executed_keep)
    world.timing.scale = args.time_scale
    config = ServerConfig(
        user=args.user,
        password=password,
        port=args.port,
        bind=args.bind,
        https=args.https,
        cert_dir=args.cert_dir,
        allow_unencrypted=args.allow_unencrypted,
        state_path=args.state,
        latency_ms=args.latency_ms,
        ps_start_ms=args.ps_start_ms,
        seed=args.seed,
        faults=list(args.fault),
        verbose=args.verbose,
    )
    server = WinRmServer(world, config)
    server.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    ca = f" (ca: {server.certificates.ca_cert})" if server.certificates else ""
    sidecar = _sidecar(args.state) if args.state is not None else None
    if sidecar is not None:
        base = server.url.rsplit("/wsman", 1)[0]
        info = {"url": server.url, "counters_url": f"{base}/hypervsim/counters"}
        if server.certificates:
            info["ca"] = str(server.certificates.ca_cert)
        sidecar.write_text(json.dumps(info), encoding="utf-8")
    print(f"hypervsim listening on {server.url}{ca}", flush=True)
    while not stop.wait(0.1):  # a timed wait lets the main thread see signals promptly
        pass
    server.stop()
    if sidecar is not None:
        sidecar.unlink(missing_ok=True)
    return 0


def _sidecar(state: Path) -> Path:
    """Where a running server tells `show` its address: `<state>.server.json`."""
    return state.with_name(state.name + ".server.json")


def _live_counters(url: str, ca: str | None) -> dict[str, int] | None:
    context = ssl.create_default_context(cafile=ca) if ca else None
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:  # loopback
            data: dict[str, int] = json.load(response)
    except OSError:
        return None  # the server is not running (any more)
    return data


def show(args: argparse.Namespace) -> int:
    from hypervsim.world.model import World

    world = World.load(args.state)
    print(world.describe())
    url, ca = args.counters_url, None
    sidecar = _sidecar(args.state)
    if url is None and sidecar.exists():
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        url, ca = info.get("counters_url"), info.get("ca")
    counters = _live_counters(url, ca) if url else None
    if counters is not None:
        print("counters:")
        for name, value in sorted(counters.items()):
            print(f"  {name}: {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        if args.host_profile == LIST_PROFILES:
            print(describe_profiles())
            return 0
        if not args.user:
            parser.error("serve: --user is required")
        return serve(args)
    return show(args)


if __name__ == "__main__":
    sys.exit(main())
