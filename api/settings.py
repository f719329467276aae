"""Settings of the API app, read once (pydantic-settings; env prefix ``SNA_API_``).

Build the app with ``create_app(ApiSettings(...))`` so tests inject settings directly. The
analyst key is read from ``SNA_API_KEY`` or from the file named by ``SNA_API_KEY_FILE`` (e.g. a
mounted secret), and the data directory from ``SNA_API_DATA_DIR`` or ``SNA_DATA_DIR``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ApiSettings", "DEFAULT_BASEMAP_URL", "DEFAULT_BASEMAP_ATTRIBUTION"]

#: The street map a deployment shows by default: OpenStreetMap's standard tiles (their tile
#: usage policy asks for attribution and a referrer, which the page sends as its origin only).
DEFAULT_BASEMAP_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors"

#: The key-id salt of a process that can neither read nor keep one in its data directory.
_PROCESS_SALT = secrets.token_hex(16).encode()


class ApiSettings(BaseSettings):
    """App-level switches; library knobs are passed as function arguments."""

    model_config = SettingsConfigDict(
        env_prefix="SNA_API_", env_file=".env", extra="ignore", populate_by_name=True
    )

    region: str = Field("west-midlands", description="Region id whose current build is served.")
    data_dir: Path | None = Field(
        None,
        validation_alias=AliasChoices("SNA_API_DATA_DIR", "SNA_DATA_DIR", "data_dir"),
        description="Data directory holding <region>/builds; default $SNA_DATA_DIR or ./data.",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SNA_API_KEY", "api_key"),
        description="Key for the analyst endpoints (header X-API-Key); unset disables them.",
    )
    key_id_salt_value: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SNA_API_KEY_ID_SALT", "key_id_salt"),
        description="Salt of the key id in the access log; unset: a random one kept in "
        "<data_dir>/.key-id-salt.",
    )
    api_key_file: Path | None = Field(
        None,
        validation_alias=AliasChoices("SNA_API_KEY_FILE", "api_key_file"),
        description="File holding the analyst key (first line), instead of SNA_API_KEY.",
    )
    key_attempts: int = Field(
        5, ge=1, description="Failed analyst key attempts per client before 429."
    )
    key_attempt_window: float = Field(
        60.0, gt=0, description="Seconds over which failed key attempts are counted."
    )
    access_log_file: Path | None = Field(
        None,
        description="Append the analyst access log (JSON lines) to this file; default stderr.",
    )
    max_connections: int = Field(
        1024,
        ge=1,
        description="Concurrent connections (and requests) one worker holds; past it, 503 at "
        "once rather than a queue. Slow clients are the reverse proxy's (deploy/nginx.conf).",
    )
    max_in_flight: int = Field(
        64,
        ge=1,
        description="Requests one worker works on at once beyond plain postcode lookups "
        "(bulk, tiles, areas...); past it, 503 with Retry-After at once rather than a queue.",
    )
    busy_retry_seconds: int = Field(
        1, ge=1, description="Retry-After (s) of a 503 sent when max_in_flight is reached."
    )
    keep_alive_seconds: float = Field(
        5.0, gt=0, description="An idle keep-alive connection is closed after this long."
    )
    answer_cache_mb: float = Field(
        16,
        ge=0,
        description="Finished postcode answers (plain and gzipped) a worker keeps for the "
        "current build, most recently asked first, in MB; 0 keeps none (api/answer_cache.py).",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted (larger: 413)."
    )
    views: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More regions served by the same server, each under /vru/<id>/ (comma-"
        "separated ids or TOML paths); empty: every VRU view of the main region whose build "
        "is published (a national build serves all its VRUs). The main region stays at /.",
    )
    view_configs: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Region files of more VRU views of the main region (comma-separated TOML "
        "paths), beside the generated force-area views and the shipped ones: listed in "
        "/api/v1/vrus, and served when built.",
    )
    trusted_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1"],
        description="Host names served (comma-separated; 'maps.example.org:8443' also allows "
        "that port, '*.example.org' any sub-domain, '*' any host); a Host with another name, "
        "another port than the server's own or a listed one, or userinfo gets 400.",
    )
    public_origin: str = Field(
        "",
        description="The origin the public reaches the server at (e.g. https://maps.example.org);"
        " redirects are built from it, never from the request. Empty: relative redirects.",
        pattern=r"^(https?://[^/?#@]+)?$",
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For/-Proto headers are trusted "
        "(comma-separated); empty: none.",
    )
    build_retry_seconds: float = Field(
        30.0, ge=0, description="After a build fails to load, wait this long before retrying."
    )
    reload_interval: float = Field(
        2.0, ge=0, description="Seconds between checks of the 'current' build pointer."
    )
    basemap_url: str = Field(
        DEFAULT_BASEMAP_URL,
        description="XYZ tile URL template for the street map under the layers (default: "
        "OpenStreetMap's standard tiles; a local tile server in production); empty: no base "
        "map, and the page makes no request to any other host. When the tiles cannot load "
        "the page keeps working on its own outlines.",
    )
    basemap_attribution: str = Field(
        "", description="Shown in the map's corner; OpenStreetMap's own for the default tiles."
    )
    tile_cache_size: int = Field(4096, ge=0, description="Tiles kept in the in-process LRU.")
    tile_max_age: int = Field(3600, ge=0, description="Cache-Control max-age of tiles (s).")
    api_max_age: int = Field(60, ge=0, description="Cache-Control max-age of API answers (s).")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed by CORS on the public read-only routes ('*': any); "
        "empty: CORS off. Never on the analyst routes.",
    )
    title: str = "Violence reduction needs map"

    @field_validator(
        "cors_origins",
        "trusted_hosts",
        "forwarded_allow_ips",
        "views",
        "view_configs",
        mode="before",
    )
    @classmethod
    def _split(cls, v: object) -> object:
        if isinstance(v, str):
            return [o.strip() for o in v.split(",") if o.strip()]
        return v

    @field_validator("basemap_url")
    @classmethod
    def _template(cls, v: str) -> str:
        v = v.strip()
        if v and not (
            v.startswith(("http://", "https://", "/"))
            and all(k in v for k in "{z} {x} {y}".split())
        ):
            raise ValueError(
                "basemap_url must be an http(s) or /path XYZ template with {z}, {x}, {y}"
            )
        from .routers.web import basemap_sources

        basemap_sources(v)  # a host no CSP source can allow exactly is refused here
        return v

    @model_validator(mode="after")
    def _default_attribution(self) -> ApiSettings:
        if self.basemap_url == DEFAULT_BASEMAP_URL and not self.basemap_attribution:
            self.basemap_attribution = DEFAULT_BASEMAP_ATTRIBUTION
        return self

    @model_validator(mode="after")
    def _key_from_file(self) -> ApiSettings:
        if self.api_key_file is None:
            return self
        if self.api_key is not None:
            raise ValueError("set SNA_API_KEY or SNA_API_KEY_FILE, not both")
        try:
            lines = self.api_key_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"api_key_file: cannot read the key file ({exc.strerror})") from None
        key = lines[0].strip() if lines else ""
        if not key:
            raise ValueError("api_key_file: the key file is empty")
        self.api_key = SecretStr(key)
        return self

    def key_id(self) -> str | None:
        """A short public id of the analyst key (for the access log), None when unset.

        Salted (HMAC-SHA256 with :meth:`key_id_salt`), so a log reader cannot test a guessed
        key against it offline, as an unsalted hash prefix would allow.
        """
        if self.api_key is None or not self.api_key.get_secret_value():
            return None
        digest = hmac.new(
            self.key_id_salt(), self.api_key.get_secret_value().encode(), hashlib.sha256
        )
        return "k-" + digest.hexdigest()[:8]

    def key_id_salt(self) -> bytes:
        """The deployment's salt for key ids: ``SNA_API_KEY_ID_SALT``, else a random one kept
        in ``<data_dir>/.key-id-salt`` (made once, mode 0600), so ids are stable across
        restarts and workers; a process that cannot write it uses a random salt of its own."""
        if self.key_id_salt_value is not None:
            return self.key_id_salt_value.get_secret_value().encode()
        from sna.settings import data_dir as default_data_dir

        path = Path(self.data_dir or default_data_dir()) / ".key-id-salt"
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(16))
            return path.read_text().strip().encode()
        except FileExistsError:
            return path.read_text().strip().encode()
        except OSError:
            return _PROCESS_SALT
