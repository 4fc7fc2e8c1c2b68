"""Everything an operator configures, in one object read from the environment once (pydantic-settings), then
passed down: ``create_app(store, settings)`` hands its values to the query runner, the middlewares and the
ingest path; ``SparqlStore.from_settings`` takes the store's.  Code that has no object handed to it (the
loaders' limits, the spaCy model) reads :func:`current`, the same object, built once per process.

Each field is one variable, ``KG_`` and its name in capitals unless ``validation_alias`` names it; the
README's tables of variables are checked against these fields by ``tests/test_settings.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveFloat, PositiveInt, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kg.errors import KgError

ENV_PREFIX = "KG_"


class Settings(BaseSettings):
    """What an operator configures, each from one environment variable (the field's description says what)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=True, frozen=True, extra="ignore", populate_by_name=True
    )

    # the SPARQL endpoint ------------------------------------------------------------------------------------
    query_timeout: PositiveFloat = Field(
        30.0, validation_alias="KG_QUERY_TIMEOUT", description="seconds a SPARQL query may run before it is stopped"
    )
    max_rows: PositiveInt = Field(
        10_000,
        validation_alias="KG_QUERY_MAX_ROWS",
        description="rows (or triples) a SPARQL answer may have before it is truncated",
    )
    query_workers: PositiveInt = Field(
        2, validation_alias="KG_QUERY_WORKERS", description="query worker processes for the embedded store"
    )
    query_memory_mb: PositiveInt = Field(
        2048, validation_alias="KG_QUERY_MEMORY_MB", description="address space of one query worker, in MB"
    )
    query_per_client: PositiveInt = Field(
        3, validation_alias="KG_QUERY_PER_CLIENT", description="SPARQL queries one client may have in flight"
    )
    query_queue: PositiveInt = Field(12, validation_alias="KG_QUERY_QUEUE", description="SPARQL queries in flight")
    snapshot_dir: Path | None = Field(
        None, validation_alias="KG_SNAPSHOT_DIR", description="where the embedded store's query snapshots go"
    )
    # the rest of the service -------------------------------------------------------------------------------
    read_timeout: PositiveFloat = Field(
        30.0, validation_alias="KG_READ_TIMEOUT", description="seconds any other read may take (then 503)"
    )
    api_token: str | None = Field(
        None, validation_alias="KG_API_TOKEN", description="bearer token for writes", repr=False
    )
    api_token_name: str | None = Field(
        None, validation_alias="KG_API_TOKEN_NAME", description="who writes through the token are recorded as"
    )
    max_body_bytes: PositiveInt = Field(
        5 * 1024 * 1024, validation_alias="KG_MAX_BODY_BYTES", description="largest request body"
    )
    max_param_chars: PositiveInt = Field(
        2_000, validation_alias="KG_MAX_PARAM_CHARS", description="longest query-string value"
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias="KG_CORS_ORIGINS", description="comma-separated origins allowed by CORS"
    )
    ingest_workers: int = Field(
        1, ge=0, validation_alias="KG_INGEST_WORKERS", description="extraction processes for POST /articles"
    )
    # input -------------------------------------------------------------------------------------------------
    max_doc_bytes: PositiveInt = Field(
        5 * 1024 * 1024, validation_alias="KG_MAX_DOC_BYTES", description="largest document kg ingest reads"
    )
    max_article_chars: PositiveInt = Field(
        1_000_000, validation_alias="KG_MAX_ARTICLE_CHARS", description="longest article text"
    )
    max_id_chars: PositiveInt = Field(1_000, validation_alias="KG_MAX_ID_CHARS", description="longest article id")
    spacy_model: str | None = Field(
        None, validation_alias="KG_SPACY_MODEL", description="the spaCy pipeline extraction loads"
    )
    # the store ---------------------------------------------------------------------------------------------
    store: str | None = Field(None, validation_alias="KG_STORE", description="a folder or a SPARQL endpoint URL")
    store_update_url: str | None = Field(
        None, validation_alias="KG_STORE_UPDATE_URL", description="the SPARQL Update endpoint"
    )
    store_user: str | None = Field(None, validation_alias="KG_STORE_USER", description="user for updates")
    store_password: str | None = Field(
        None, validation_alias="KG_STORE_PASSWORD", description="password for updates", repr=False
    )
    store_auth: Literal["auto", "digest", "basic"] = Field(
        "auto", validation_alias="KG_STORE_AUTH", description="HTTP authentication scheme for updates"
    )
    store_timeout: PositiveFloat = Field(
        60.0, validation_alias="KG_STORE_TIMEOUT", description="seconds to wait for the SPARQL server"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator(
        "snapshot_dir", "api_token", "api_token_name", "spacy_model", "store", "store_update_url", "store_user",
        "store_password", mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each setting's environment variable, by field name."""
        return {
            name: str(field.validation_alias or ENV_PREFIX + name.upper()) for name, field in cls.model_fields.items()
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: this process's environment); an empty value is unset.

        :raises KgError: a value of the wrong kind, naming the variable (``KG_QUERY_TIMEOUT must be ...``).
        """
        try:
            if env is None:
                return cls()
            names = cls.variables()
            given = {name: env[var] for name, var in names.items() if env.get(var, "").strip()}
            return cls.model_validate(given)
        except ValidationError as exc:
            names = cls.variables()
            problems = []
            for error in exc.errors():
                where = str(error["loc"][0]) if error["loc"] else ""
                variable = names.get(where, where)
                problems.append(f"{variable} {error['msg'].lower()}, got {error.get('input')!r}")
            raise KgError("; ".join(problems)) from None


@cache
def current() -> Settings:
    """This process's settings, read from the environment on first use, the same object afterwards."""
    return Settings.from_env()
