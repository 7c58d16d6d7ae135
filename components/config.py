"""Typed stack configuration: which Hyper-V hosts exist and how to reach them.

Sources, in order: the Pulumi stack config a dynamic provider receives in `configure()`
(`hyperv-lab:hosts`, `hyperv-lab:credentials`, `hyperv-lab:passwords`, `hyperv-lab:images`,
`hyperv-lab:journal_dir`), then environment variables (`HYPERV_LAB_HOSTS`,
`HYPERV_LAB_CREDENTIALS`, `HYPERV_LAB_PASSWORD_<NAME>`, `HYPERV_LAB_IMAGES`,
`HYPERV_LAB_JOURNAL_DIR`).
Passwords are `SecretStr`: they never show in repr, str, errors or logs. A mistake becomes
`ConfigError` with one line naming the key and the allowed values.

Every `hyperv-lab:*` key must be one of `STACK_CONFIG_KEYS` (a typo such as `prefx` would
otherwise drop the setting silently), and values are taken as typed: `"30"` is not a number
and `"yes"` not a boolean (stack YAML keeps them typed, `pulumi config set --path` types whole
numbers and true/false and takes `--type` for the rest; only file paths are read from text).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

NAMESPACE = "hyperv-lab"
HOSTS_KEY = f"{NAMESPACE}:hosts"
CREDENTIALS_KEY = f"{NAMESPACE}:credentials"
PASSWORDS_KEY = f"{NAMESPACE}:passwords"
PREFIX_KEY = f"{NAMESPACE}:prefix"
IMAGES_KEY = f"{NAMESPACE}:images"
JOURNAL_DIR_KEY = f"{NAMESPACE}:journal_dir"
HOSTS_ENV = "HYPERV_LAB_HOSTS"
CREDENTIALS_ENV = "HYPERV_LAB_CREDENTIALS"
PASSWORD_ENV_PREFIX = "HYPERV_LAB_PASSWORD_"
JOURNAL_DIR_ENV = "HYPERV_LAB_JOURNAL_DIR"
IMAGES_ENV = "HYPERV_LAB_IMAGES"
PREFIX_ENV = "HYPERV_LAB_PREFIX"

STACK_CONFIG_KEYS: tuple[str, ...] = (
    "hosts",  # the Hyper-V hosts (L0) and how to reach them
    "credentials",  # guest logins for PowerShell Direct, by name
    "passwords",  # passwords of hosts and credentials, by name (secrets only)
    "prefix",  # prefix of every name this stack makes on the hosts
    "journal_dir",  # where creates whose outcome is unknown are remembered
    "lab",  # the lab: nested hosts, NAT networks, emulator VMs
    "images",  # OS base images on the hosts, by name
    "owner_id",  # this stack's id in the owner tag, so same-named stacks never share VMs
)
"""Every `hyperv-lab:<key>` the program and the providers read; any other is refused."""

DEFAULT_GUEST_WAIT_S = 180.0
"""How long a guest operation waits for an existing VM's guest to answer PowerShell Direct
(it may still be booting); `hyperv-lab:credentials.<name>.wait_s` changes it."""
DEFAULT_LOGIN_RETRY_S = 60.0
"""How long PowerShell Direct retries "The credential is invalid." before reporting it: on a
real host a new guest refuses every login for a while as it specializes (the Administrator
password from the answer file is set in its last pass); a wrong password never heals, so the
wait is short. `hyperv-lab:credentials.<name>.login_retry_s` changes it."""

_M = TypeVar("_M", bound=BaseModel)

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class ConfigError(ValueError):
    """A configuration mistake, as one line naming the key and what is allowed."""


def check_stack_config_keys(keys: Iterable[str]) -> None:
    """Refuse a `hyperv-lab:*` key that nothing reads, naming the known ones (and the
    closest, for a typo). Keys of other namespaces (`pulumi:`, providers') are not ours."""
    known = sorted(STACK_CONFIG_KEYS)
    for key in sorted(keys):
        namespace, sep, name = key.partition(":")
        if namespace != NAMESPACE or not sep or name in STACK_CONFIG_KEYS:
            continue
        head = re.split(r"[.\[]", name, maxsplit=1)[0]
        if head in STACK_CONFIG_KEYS:  # `config set hyperv-lab:lab.x` without --path
            hint = f"; to set a value inside {NAMESPACE}:{head}, use pulumi config set --path"
        else:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
        listed = ", ".join(f"{NAMESPACE}:{k}" for k in known)
        raise ConfigError(f"{key}: unknown key (known: {listed}{hint})")


_ENV_FALLBACK = {
    "hosts": HOSTS_ENV,
    "credentials": CREDENTIALS_ENV,
    "images": IMAGES_ENV,
    "prefix": PREFIX_ENV,
    "journal_dir": JOURNAL_DIR_ENV,
}
"""The settings an environment variable can give when the stack config does not."""


@dataclass(frozen=True)
class ConfigSources:
    """The raw `hyperv-lab:*` values, each from the stack config, else from its environment
    variable: the one place that decides where a setting comes from, for the program (which
    reads `pulumi.Config`) and the providers (which get `ConfigureRequest.config`) alike.
    Values are as given (JSON text or objects); the models check them."""

    hosts: Any = None
    credentials: Any = None
    passwords: Any = None
    images: Any = None
    prefix: str = ""
    journal_dir: Any = None
    owner_id: Any = None
    lab: Any = None

    @classmethod
    def read(
        cls, get: Callable[[str], Any], environ: Mapping[str, str] | None = None
    ) -> ConfigSources:
        """From `get(full_key)` (e.g. `config.get("hyperv-lab:hosts")`), then `environ`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            value = get(f"{NAMESPACE}:{name}")
            if (value is None or value == "") and name in _ENV_FALLBACK:
                value = env.get(_ENV_FALLBACK[name])
            values[name] = value
        values["prefix"] = values["prefix"] or ""
        return cls(**values)

    @classmethod
    def of_program(cls, environ: Mapping[str, str] | None = None) -> ConfigSources:
        """The running Pulumi program's settings."""
        import pulumi  # only the program side needs the SDK's config

        config = pulumi.Config(NAMESPACE)
        return cls.read(lambda key: config.get(key.split(":", 1)[1]), environ)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class Credential(_Strict):
    """A Windows account (host login or guest login for PowerShell Direct)."""

    user: str = Field(min_length=1)
    password: SecretStr
    wait_s: float = Field(
        default=DEFAULT_GUEST_WAIT_S,
        gt=0,
        le=3600,
        description="as a guest login: how long to wait for the guest to answer (it may "
        "still be booting); a VM that does not exist fails at once",
    )
    login_retry_s: float = Field(
        default=DEFAULT_LOGIN_RETRY_S,
        ge=0,
        le=3600,
        description="as a guest login: how long 'The credential is invalid.' is retried (a "
        "new guest refuses logins while it specializes); within wait_s",
    )


class GuestRoute(_Strict):
    """How to reach a machine that is a VM on `parent`: PowerShell Direct with a guest login."""

    parent: HostSettings
    vm_name: str = Field(min_length=1)
    user: str = Field(min_length=1)
    password: SecretStr
    wait_s: float = Field(
        default=DEFAULT_GUEST_WAIT_S, gt=0, description="bounded wait for the guest to answer"
    )
    login_retry_s: float = Field(
        default=DEFAULT_LOGIN_RETRY_S, ge=0, description="bounded retry of an invalid login"
    )
    credential: str | None = Field(
        default=None, description="name of the credential in hyperv-lab:credentials (messages)"
    )


class HostSettings(_Strict):
    """One Hyper-V host: a WinRM endpoint (L0), or a VM reached through its parent (`via`)."""

    name: str = Field(pattern=_NAME)
    endpoint: AnyHttpUrl | None = None
    transport: Literal["ntlm", "basic"] = "ntlm"
    user: str | None = None
    password: SecretStr | None = None
    ca_bundle: Path | None = Field(
        default=None, strict=False, description="PEM CA bundle that signed the HTTPS cert"
    )
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: int = Field(default=30, gt=1)
    operation_timeout_s: int = Field(default=20, gt=0, description="WS-Man OperationTimeout")
    script_timeout_s: float = Field(
        default=3600.0, gt=0, description="max run time of one operation"
    )
    retries: int = Field(
        default=3, ge=0, le=10, description="transport retries (never PowerShell errors)"
    )
    backoff_s: float = Field(default=0.5, ge=0, description="first retry delay; doubles each time")
    max_sessions: int = Field(
        default=16,
        ge=1,
        le=25,
        description="shells this process keeps open on the host at once (Windows' default "
        "MaxShellsPerUser is 30, shared with other stacks and tools)",
    )
    via: GuestRoute | None = None

    @model_validator(mode="after")
    def _reachable_and_safe(self) -> HostSettings:
        if self.via is not None:
            if self.endpoint is not None:
                raise ValueError("a host has either 'endpoint' or 'via', not both")
            return self
        if self.endpoint is None:
            raise ValueError(
                "'endpoint' is required (e.g. http://host:5985/wsman) unless 'via' is set"
            )
        if not self.user:
            raise ValueError("'user' is required for a WinRM endpoint")
        if self.password is None:
            raise ValueError(f"no password for a WinRM endpoint ({set_password_hint(self.name)})")
        if self.operation_timeout_s >= self.read_timeout_s:
            raise ValueError("'operation_timeout_s' must be lower than 'read_timeout_s'")
        if self.transport == "basic" and not self.is_https:
            raise ValueError(
                "transport 'basic' sends the password in clear: use an https:// endpoint or 'ntlm'"
            )
        if self.ca_bundle is not None and not self.is_https:
            raise ValueError("'ca_bundle' only applies to an https:// endpoint")
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            relative = "" if self.ca_bundle.is_absolute() else f", relative to {Path.cwd()}"
            raise ValueError(
                f"'ca_bundle' {self.ca_bundle} is not a file (allowed: the PEM file of the CA "
                f"that signed the host's WinRM HTTPS certificate{relative})"
            )
        return self

    @property
    def is_https(self) -> bool:
        return self.endpoint is not None and self.endpoint.scheme == "https"

    def secrets(self) -> list[str]:
        """Every secret along the route, for scrubbing messages."""
        found = [self.password.get_secret_value()] if self.password else []
        if self.via is not None:
            found.append(self.via.password.get_secret_value())
            found.extend(self.via.parent.secrets())
        return found

    def pool_key(self) -> str:
        """Identity of the connection (not of the secret): who, where, how."""
        if self.via is not None:
            return f"{self.via.parent.pool_key()}>{self.via.vm_name}"
        return f"{self.transport}:{self.user}@{self.endpoint}"


GuestRoute.model_rebuild()


class HostRef(_Strict):
    """What a resource input holds to name its target host: no secret, safe in state.

    Either a configured host (`host`), or a VM on a parent host reached with a named
    credential (`parent` + `vm_name` + `credential`) - e.g. a NestedHost's `host` output.
    """

    host: str | None = Field(default=None, pattern=_NAME)
    parent: HostRef | None = None
    vm_name: str | None = None
    credential: str | None = Field(default=None, pattern=_NAME)

    @field_validator("parent", mode="before")
    @classmethod
    def _parent_by_name(cls, value: Any) -> Any:
        return {"host": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_form(self) -> HostRef:
        nested = (self.parent, self.vm_name, self.credential)
        if self.host is not None and any(v is not None for v in nested):
            raise ValueError("give either 'host' or 'parent'+'vm_name'+'credential'")
        if self.host is None and any(v is None for v in nested):
            raise ValueError("a VM target needs 'parent', 'vm_name' and 'credential'")
        return self

    @classmethod
    def parse(cls, value: str | Mapping[str, Any] | HostRef) -> HostRef:
        if isinstance(value, HostRef):
            return value
        if isinstance(value, str):
            value = {"host": value}
        return _validate("host", cls, dict(value))

    def label(self) -> str:
        """Short readable name for messages: `l0` or `l0>L1-vm`."""
        if self.host is not None:
            return self.host
        assert self.parent is not None
        return f"{self.parent.label()}>{self.vm_name}"


HYPER_V_INSIDE_MIN_BUILD = 14393
"""Nested virtualization needs Windows Server 2016 / Windows 10 1607 (build 14393) or later
inside the VM (Microsoft's nested-virtualization prerequisites)."""

_IMAGE_PATH = re.compile(r"^(?:[A-Za-z]:\\|\\\\)[^\x00-\x1f<>\"|?*]+\.vhdx?$", re.IGNORECASE)
ImageOs = Literal["windows-server", "windows-client"]
DiskMode = Literal["differencing", "copy"]


class ImageSpec(_Strict):
    """A base OS image (a VHDX) on a Hyper-V host that VMs boot from.

    `generalized` images (sysprepped) get an answer file written into each VM's disk before its
    first boot (computer name, Administrator password, time zone); a prepared image
    (`generalized: false`) boots as it is, so the VM's credential must already be its login.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    host: str = Field(pattern=_NAME, description="the host in hyperv-lab:hosts the file is on")
    path: str = Field(description="absolute Windows path of the .vhdx (or .vhd) on that host")
    os: ImageOs
    build: int = Field(ge=1, le=999_999, description="Windows build number, e.g. 20348")
    generation: Literal[1, 2]
    generalized: bool = True

    @field_validator("path")
    @classmethod
    def _windows_vhd_path(cls, value: str) -> str:
        if not _IMAGE_PATH.match(value):
            raise ValueError(
                "must be an absolute Windows path of a .vhdx or .vhd file "
                "(e.g. C:\\Images\\WS2022-Datacenter.vhdx)"
            )
        return value

    @property
    def can_run_hyper_v(self) -> bool:
        """Whether a VM booted from this image can run Hyper-V inside (nested)."""
        return self.build >= HYPER_V_INSIDE_MIN_BUILD

    def refuses_nested(self, name: str) -> str | None:
        """Why a nested Hyper-V host cannot boot this image, or None."""
        if self.can_run_hyper_v:
            return None
        return (
            f"image '{name}' is {self.os} build {self.build}, which cannot run Hyper-V inside "
            f"a VM (nested virtualization needs build {HYPER_V_INSIDE_MIN_BUILD} or later)"
        )


def parse_images(raw: Any) -> dict[str, ImageSpec]:
    """`hyperv-lab:images` (JSON text or an object) as checked specs; ConfigError on one line."""
    images: dict[str, ImageSpec] = {}
    for name, body in as_object(IMAGES_KEY, raw).items():
        if not re.match(_NAME, name):
            raise ConfigError(
                f"{IMAGES_KEY}.{name}: not a valid image name (allowed: letters, digits, '_', "
                "'.', '-'; starts with a letter or digit)"
            )
        images[name] = _validate(f"{IMAGES_KEY}.{name}", ImageSpec, body)
    return images


class LabConfig(_Strict):
    """Everything a provider needs to reach hosts, resolved from config + environment."""

    hosts: dict[str, HostSettings] = Field(default_factory=dict)
    credentials: dict[str, Credential] = Field(default_factory=dict)
    images: dict[str, ImageSpec] = Field(default_factory=dict)
    prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,32}$")
    journal_dir: Path | None = Field(
        default=None,
        strict=False,
        description="where creates whose outcome is unknown are remembered (None: the "
        "user's state directory)",
    )

    def host(self, ref: str | Mapping[str, Any] | HostRef) -> HostSettings:
        """Settings to reach `ref`; ConfigError naming what is missing."""
        ref = HostRef.parse(ref)
        if ref.host is not None:
            if ref.host not in self.hosts:
                known = ", ".join(sorted(self.hosts)) or "none configured"
                raise ConfigError(f"{HOSTS_KEY}: unknown host '{ref.host}' (known: {known})")
            return self.hosts[ref.host]
        assert ref.parent is not None and ref.vm_name is not None and ref.credential is not None
        cred = self.credential(ref.credential)
        parent = self.host(ref.parent)
        return HostSettings(
            name=_route_name(parent.name, ref.vm_name),
            via=GuestRoute(
                parent=parent,
                vm_name=ref.vm_name,
                user=cred.user,
                password=cred.password,
                wait_s=cred.wait_s,
                login_retry_s=cred.login_retry_s,
                credential=ref.credential,
            ),
        )

    def credential(self, name: str) -> Credential:
        """The named guest login; ConfigError naming it and the known ones."""
        if name not in self.credentials:
            known = ", ".join(sorted(self.credentials)) or "none configured"
            raise ConfigError(f"{CREDENTIALS_KEY}: unknown credential '{name}' (known: {known})")
        return self.credentials[name]

    def image(self, name: str) -> ImageSpec:
        """The named base image; ConfigError naming it and the known ones."""
        if name not in self.images:
            known = ", ".join(sorted(self.images)) or "none configured"
            raise ConfigError(f"{IMAGES_KEY}: unknown image '{name}' (known: {known})")
        return self.images[name]

    @classmethod
    def from_sources(
        cls,
        hosts: Any = None,
        credentials: Any = None,
        passwords: Any = None,
        prefix: Any = None,
        environ: Mapping[str, str] | None = None,
        journal_dir: Any = None,
        images: Any = None,
    ) -> LabConfig:
        """Build from raw config values (JSON text or objects), filling gaps from `environ`."""
        given = {
            f"{NAMESPACE}:{k}": v
            for k, v in {
                "hosts": hosts,
                "credentials": credentials,
                "passwords": passwords,
                "prefix": prefix,
                "journal_dir": journal_dir,
                "images": images,
            }.items()
        }
        return cls.from_config_sources(ConfigSources.read(given.get, environ), environ)

    @classmethod
    def from_config_sources(
        cls, sources: ConfigSources, environ: Mapping[str, str] | None = None
    ) -> LabConfig:
        """Build from the settings as read (`ConfigSources`); a password they do not give comes
        from its environment variable in `environ`."""
        env = os.environ if environ is None else environ
        hosts_raw = as_object(HOSTS_KEY, sources.hosts)
        creds_raw = as_object(CREDENTIALS_KEY, sources.credentials)
        pw_raw = as_object(PASSWORDS_KEY, sources.passwords)
        host_models = {
            name: _validate(
                f"{HOSTS_KEY}.{name}",
                HostSettings,
                _with_password(
                    name, {"name": name, **as_object(f"{HOSTS_KEY}.{name}", body)}, pw_raw, env
                ),
            )
            for name, body in hosts_raw.items()
        }
        # A host given with a `via` names its parent host and a credential.
        cred_models = {
            name: _validate(
                f"{CREDENTIALS_KEY}.{name}",
                Credential,
                _with_password(name, as_object(f"{CREDENTIALS_KEY}.{name}", body), pw_raw, env),
                entry=name,
            )
            for name, body in creds_raw.items()
        }
        return _validate(
            NAMESPACE,
            cls,
            {
                "hosts": host_models,
                "credentials": cred_models,
                "images": parse_images(sources.images),
                "prefix": sources.prefix,
                "journal_dir": sources.journal_dir or None,
            },
        )

    @classmethod
    def from_pulumi_config(cls, config: Any, environ: Mapping[str, str] | None = None) -> LabConfig:
        """From a dynamic provider's `ConfigureRequest.config` (anything with `.get(key)`)."""
        return cls.from_config_sources(ConfigSources.read(config.get, environ), environ)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LabConfig:
        return cls.from_sources(environ=environ)


def _route_name(parent: str, vm_name: str) -> str:
    """A valid host name for a VM target, derived from parent and VM name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", vm_name)
    return f"{parent}.{safe}"[:63]


def as_object(
    key: str, value: Any, expected: str = "an object of name -> settings"
) -> dict[str, Any]:
    """A config value (JSON text or an object) as a dict; None or "" is empty."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{key}: not valid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected {expected}, got {type(value).__name__}")
    return dict(value)


def password_env_var(name: str) -> str:
    """The environment variable that holds the password of host or credential `name`:
    `HYPERV_LAB_PASSWORD_` + the name in upper case, other characters as '_'."""
    return PASSWORD_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def set_secret_command(*path: str) -> str:
    """The command that stores the value at `hyperv-lab:<path...>` as a secret (read from
    stdin, so the password never lands on a command line or in shell history)."""
    dotted = "".join(
        f'["{part}"]' if "." in part or '"' in part else (f".{part}" if i else part)
        for i, part in enumerate(path)
    )
    return f"pulumi config set --secret --path '{NAMESPACE}:{dotted}'"


def set_password_hint(name: str) -> str:
    """The two ways to give `name` its password, for messages."""
    return (
        f"{set_secret_command('passwords', name)}, "
        f"or the environment variable {password_env_var(name)}"
    )


def _with_password(
    name: str, body: dict[str, Any], passwords: dict[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    """Password from the body, else `hyperv-lab:passwords.<name>`, else the env var."""
    if body.get("password") is None:
        found = passwords.get(name, env.get(password_env_var(name)))
        if found is not None:
            body = {**body, "password": found}
    return body


def _validate(key: str, model: type[_M], data: Any, entry: str | None = None) -> _M:
    """`model` from `data`; ConfigError naming `key` (`entry`: the name whose password is
    looked up, for a missing one)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc)
        if entry is not None and err["type"] == "missing" and tuple(err["loc"]) == ("password",):
            raise ConfigError(f"{key}: no password ({set_password_hint(entry)})") from None
        raise ConfigError(_one_line(key, exc, model)) from None


def _one_line(key: str, exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """`key.field: message` for the first error; the value itself is never echoed (secrets)."""
    err = first_error(exc)
    loc = ".".join(str(p) for p in err["loc"])
    where = f"{key}{':' if key == NAMESPACE else '.'}{loc}" if loc else key
    msg = err["msg"]
    if err["type"] == "literal_error":
        msg = f"must be one of {err.get('ctx', {}).get('expected', '')}"
    elif err["type"] == "extra_forbidden":
        at = model_at(model, err["loc"][:-1]) if model else None
        allowed = f" (allowed: {', '.join(user_keys(at))})" if at else ""
        msg = f"unknown key{allowed}"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{where}: {msg}{wrong_type_hint(err)}"


def first_error(exc: ValidationError) -> Any:
    """The error to report: an unknown key first (a typo'd key also makes the key it meant
    "missing", and the typo is the thing to fix)."""
    errors = exc.errors(include_url=False)
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


_CLI_TYPES = {
    "int_type": "int",
    "float_type": "float",
    "bool_type": "bool",
    "string_type": "string",
}


def wrong_type_hint(err: Mapping[str, Any]) -> str:
    """For a value of the wrong type (strict models take no "4" for 4): what was given, by
    its kind only (never the value: it may be a secret), and how to write it. `pulumi config
    set --path` types whole numbers and true/false itself; anything else needs `--type`."""
    kind = str(err["type"])
    if not kind.endswith("_type"):
        return ""
    given = err.get("input")
    cli = _CLI_TYPES.get(kind)
    flag = f", or pulumi config set --path --type {cli}" if cli else ""
    if isinstance(given, str):
        return f" (got text: write it without quotes in YAML{flag})"
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    got = kinds.get(type(given), type(given).__name__)
    if kind == "string_type" and isinstance(given, (bool, int, float)):
        return f" (got {got}: quote it in YAML{flag})"
    return f" (got {got})"


def user_keys(model: type[BaseModel]) -> list[str]:
    """The keys a user may write for `model`, in declaration order (a host's `name` is its
    entry's key in hyperv-lab:hosts, filled in by `LabConfig.from_sources`)."""
    return [k for k in model.model_fields if not (model is HostSettings and k == "name")]


def model_at(model: type[BaseModel], loc: Iterable[Any]) -> type[BaseModel] | None:
    """The model that validates the value at `loc` below `model` (list indexes and dict keys
    skipped), for listing the keys allowed there."""
    current: Any = model
    for part in loc:
        if not isinstance(current, type) or not issubclass(current, BaseModel):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            continue  # a list index or a dict key: the container's item model stays current
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X | None`, `list[X]`, `dict[str, X]`, or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


__all__ = [
    "STACK_CONFIG_KEYS",
    "ConfigError",
    "ConfigSources",
    "Credential",
    "GuestRoute",
    "HostRef",
    "HostSettings",
    "ImageSpec",
    "LabConfig",
    "check_stack_config_keys",
    "parse_images",
    "password_env_var",
    "set_password_hint",
    "set_secret_command",
]
