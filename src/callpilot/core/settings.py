"""All configuration in one pydantic-settings class.

Sources, strongest first: explicit keyword arguments (CLI flags), ``CALLPILOT_*`` environment variables, the YAML
settings file (``--config`` or ``CALLPILOT_CONFIG``), then the defaults below. Settings are read once at start-up
and passed down; nothing below the CLI and the app factory reads ``os.environ``.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml

__all__ = ["DEFAULT_DATABASE_URL", "CrmSettings", "DeliverySettings", "EmailSettings", "HubSpotSettings",
           "PipelineSettings", "SalesforceSettings", "Settings", "StreamSettings", "WebSettings", "ZendeskSettings",
           "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///./callpilot.db"


def _default_cache_dir() -> Path:
    """Derived data callpilot builds and can rebuild (the ONNX encoder): $XDG_CACHE_HOME/callpilot."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callpilot"


class PipelineSettings(BaseModel):
    """Which analyzers run, in what order, and how the background path is bounded."""

    model_config = {"extra": "forbid"}

    inline: list[str] = Field(default_factory=lambda: ["pii", "rules", "sentiment", "signals", "talk_stats"])
    # context embeds text with a sentence model (~9-11 ms a segment on one core): off the inline budget; assist
    # (the suggestion orchestrator) runs after it and reads its conclusions about the same segment
    # aftercall (the post-call job) runs when a call ends
    # callback schedules the call-back a negative ending recommends
    background: list[str] = Field(default_factory=lambda: ["context", "assist", "aftercall", "callback"])
    background_workers: int = Field(4, ge=1, le=256)
    background_queue_size: int = Field(1000, ge=1)
    max_failures: int = Field(3, ge=1, description="consecutive failures before an analyzer is disabled")


class StreamSettings(BaseModel):
    model_config = {"extra": "forbid"}

    heartbeat_seconds: float = Field(15.0, gt=0)
    queue_size: int = Field(1000, ge=10, description="events buffered per subscriber before it is disconnected")
    poll_seconds: float = Field(
        1.0, gt=0, description="how often an idle stream re-reads the log for events other processes wrote"
    )


class EmailSettings(BaseModel):
    """The summary email to the agent when a call's analysis is approved (docs/delivery.md)."""

    model_config = {"extra": "forbid"}

    host: str = Field(min_length=1, description="the SMTP server")
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    start_tls: bool | None = Field(None, description="None: upgrade when the server offers STARTTLS")
    use_tls: bool = Field(False, description="implicit TLS (port 465)")
    timeout_seconds: float = Field(10.0, gt=0)
    sender: str = Field(min_length=3, description="the From address")
    agents: dict[str, str] = Field(default_factory=dict, description="agent id -> email address")
    address_template: str | None = Field(
        None, description="for agents not in `agents`, e.g. '{agent_id}@example.com'; else they get no email")
    transcript_url: str = Field("http://127.0.0.1:8000/v1/calls/{call_id}",
                                description="the transcript link, with {call_id}")


class SalesforceSettings(BaseModel):
    model_config = {"extra": "forbid"}

    instance_url: str = Field(min_length=8, description="https://yourorg.my.salesforce.com")
    access_token: SecretStr
    api_version: str = "59.0"
    sobject: Literal["Task", "Case"] = Field("Task", description="what a wrap-up becomes")
    external_id_field: str = Field(
        "Callpilot_Id__c", description="an External ID field on the object: deliveries are upserts, never twice")
    field_map: dict[str, str] = Field(default_factory=dict, description="callpilot field -> Salesforce field")
    ca_bundle: str | None = Field(None, description="a CA bundle for TLS (a corporate proxy)")
    timeout_seconds: float = Field(15.0, gt=0)


class HubSpotSettings(BaseModel):
    model_config = {"extra": "forbid"}

    access_token: SecretStr = Field(description="a private app's token")
    base_url: str = "https://api.hubapi.com"
    dedupe_property: str = Field(
        "callpilot_id", description="a unique custom property on notes and tasks: retries never create two")
    contact_properties: dict[str, str] = Field(
        default_factory=dict, description="callpilot field -> contact property, written on the contact")
    ca_bundle: str | None = None
    timeout_seconds: float = Field(15.0, gt=0)


class ZendeskSettings(BaseModel):
    model_config = {"extra": "forbid"}

    base_url: str = Field(min_length=8, description="https://yourcompany.zendesk.com")
    email: str = Field(min_length=3, description="the API user (API token authentication)")
    token: SecretStr
    custom_fields: dict[str, int] = Field(default_factory=dict, description="callpilot field -> ticket field id")
    ca_bundle: str | None = None
    timeout_seconds: float = Field(15.0, gt=0)


class CrmSettings(BaseModel):
    """The CRM connectors (docs/delivery.md); each one configured is a delivery destination and answers the
    customer lookup at call start."""

    model_config = {"extra": "forbid"}

    salesforce: SalesforceSettings | None = None
    hubspot: HubSpotSettings | None = None
    zendesk: ZendeskSettings | None = None
    lookup: bool = Field(True, description="look the caller up by phone in each CRM when a call starts")


class DeliverySettings(BaseModel):
    """The outbox (docs/delivery.md): webhooks, the summary email and the CRMs, with one retry policy."""

    model_config = {"extra": "forbid"}

    enabled: bool = Field(True, description="run the dispatcher and sender in this process")
    allow_networks: list[str] = Field(default_factory=list, description="internal CIDRs webhooks may call")
    timeout_seconds: float = Field(10.0, gt=0)
    max_attempts: int = Field(14, ge=1, le=50, description="14: 2.2 to 4.4 hours of retries")
    base_retry_seconds: float = Field(5.0, ge=0)
    max_retry_seconds: float = Field(3600.0, gt=0)
    poll_seconds: float = Field(0.5, gt=0, description="how often the outbox looks for new events and due rows")
    concurrency: int = Field(16, ge=1, le=512, description="deliveries in flight at once")
    lease_seconds: float | None = Field(
        None, gt=0, description="how long a row being sent is reserved (default 2 x timeout + 10 s); a crashed "
                                "process's rows are sent again after it")
    email: EmailSettings | None = None
    crm: CrmSettings = Field(default_factory=CrmSettings)


def _default_stereo_roles() -> list[Literal["agent", "customer"]]:
    return ["agent", "customer"]  # left, right: as the after-call notes recommend recording


class RecordingSettings(BaseModel):
    """Where each audio call's recording goes, with personal data silenced (callpilot.speech.recording)."""

    model_config = {"extra": "forbid"}
    enabled: bool = True
    store: Literal["file", "s3"] = "file"
    directory: Path | None = Field(None, description="file store; default: <cache_dir>/recordings")
    s3_bucket: str | None = None
    s3_prefix: str = "recordings/"
    s3_endpoint_url: str | None = Field(None, description="an S3-compatible endpoint (MinIO, Ceph)")
    redaction: Literal["silence", "beep"] = "silence"


class AdaptationSettings(BaseModel):
    """Domain adaptation of the default recognizer (pocketsphinx): its N-best list at each utterance's end,
    re-ranked with a language model of the domain text (callpilot.speech.adaptation; docs/speech.md)."""

    model_config = {"extra": "forbid"}
    nbest: int = Field(30, ge=0, le=500, description="N-best entries re-ranked at an utterance's end (0: off, "
                                                     "the first pass's best stands)")
    domain: bool = Field(True, description="re-rank with the domain language model (needs nbest > 0)")
    sources: list[Path] = Field(default_factory=list, description="domain text: knowledge-base files or folders "
                                                                 "(.md, .txt, .csv) and ruleset YAML files")
    rulesets: list[str] | None = Field(None, description="rulesets (shipped names or YAML paths) whose phrases and "
                                                         "messages join the domain text; unset: the shipped ones")
    digits: bool = Field(True, description="spoken digit strings (account, card and phone numbers)")
    weight: float = Field(0.003, ge=0, le=1, description="the domain model's weight against the recognizer's score")


class SpeechSettings(BaseModel):
    """Live audio and recordings -> segments (callpilot.speech, callpilot.ingress); docs/speech.md."""

    model_config = {"extra": "forbid"}
    engine: str = Field("pocketsphinx", description="pocketsphinx, faster-whisper, vosk or deepgram")
    engine_options: dict[str, Any] = Field(default_factory=dict, description="passed to the engine as they are")
    workers: int = Field(2, ge=0, le=64, description="recognizer processes in the server (0: in the event loop)")
    vad: Literal["webrtc", "silero"] = "webrtc"
    vad_options: dict[str, Any] = Field(default_factory=dict)
    end_silence_seconds: float = Field(0.25, gt=0, le=5, description="silence that ends an utterance")
    max_utterance_seconds: float = Field(20.0, gt=1)
    partial_seconds: float = Field(0.5, gt=0, description="at most one partial segment per channel this often")
    stereo_roles: list[Literal["agent", "customer"]] = Field(
        default_factory=_default_stereo_roles, min_length=2, max_length=2,
        description="the role of the left and the right channel of a stereo recording")
    idle_timeout_seconds: float = Field(30.0, gt=0, description="a live stream silent this long is ended")
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    adaptation: AdaptationSettings = Field(default_factory=AdaptationSettings)


class WebSettings(BaseModel):
    model_config = {"extra": "forbid"}

    manual_wrap_up_seconds: float = Field(
        360.0, ge=0, description="what an agent's after-call work takes by hand; the dashboard's time-saved "
        "estimate is this times the calls wrapped up automatically")
    session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="how long a page's sign-in lasts before it asks for the key again")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CALLPILOT_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    api_key: SecretStr | None = None
    vault_key: SecretStr | None = Field(
        None, description="Fernet key(s), comma-separated (the first seals), for the PII vault; see README"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_segment_chars: int = Field(100_000, ge=1)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "FULL"
    cache_dir: Path = Field(default_factory=_default_cache_dir,
                            description="where derived files are built (the ONNX sentence encoder)")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    analyzers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-analyzer options, keyed by analyzer name"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Strongest first; pydantic-settings deep-merges them, so CALLPILOT_PIPELINE__INLINE overrides one key
        # of the file's pipeline section, not the whole section.
        return (init_settings, env_settings, _YamlFileSource(settings_cls))


_FILE_VALUES: ContextVar[dict[str, Any] | None] = ContextVar("callpilot_settings_file", default=None)


class _YamlFileSource(PydanticBaseSettingsSource):
    """The settings file's values, handed over by load_settings() for the duration of one construction."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_FILE_VALUES.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_VALUES.get() or {})


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path, "settings file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {path} must hold a mapping at the top level")
    return data


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from flags, the environment and the YAML file; fail loudly when anything is wrong.

    This is the one place that looks at ``CALLPILOT_CONFIG``; everything else is handed a Settings object.
    """
    path = config_file or os.environ.get("CALLPILOT_CONFIG")
    token = _FILE_VALUES.set(_read_yaml(Path(path)) if path else {})
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
        )
        source = f" (settings file {path})" if path else ""
        raise ConfigError(f"invalid settings{source}: {problems}") from exc
    finally:
        _FILE_VALUES.reset(token)
