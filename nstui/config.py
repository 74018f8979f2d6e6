"""The whole configuration of nstui as pydantic models, and its TOML file.

The model covers every setting of the two seed documents: seed 000 (opt-ins:
campaign subscription -> list mappings, the global subscription status form)
and seed 003 (the behaviour of each data set). The file is read and written
with tomlkit so that an admin's comments, key order and formatting survive a
save; see ``ConfigFile``.

Secrets never live here: the file names the environment variables that hold
them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
import tomlkit.exceptions
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from nstui.files import atomic_write
from nstui.sanitize import clean, has_control, preview
from nstui.sqlfilter import FilterError, validate_filter

# ---------------------------------------------------------------------------
# Vocabulary of the seeds
# ---------------------------------------------------------------------------

#: Seed 000, step 5.3: the five directions of a campaign subscription mapping.
#: Field mappings of seed 003 use the same five.
Direction = Literal[
    "netsuite_to_bronto",
    "bronto_to_netsuite",
    "both",
    "both_bronto_primary",
    "both_netsuite_primary",
]
DIRECTIONS: tuple[str, ...] = Direction.__args__  # type: ignore[attr-defined]

#: Seed 000, step 6.2: the two directions of the global subscription status.
GlobalStatusDirection = Literal["bronto_to_netsuite", "both"]
GLOBAL_STATUS_DIRECTIONS: tuple[str, ...] = GlobalStatusDirection.__args__  # type: ignore[attr-defined]

#: Seed 000, steps 6.3 and 6.4: what an opt-in imports as.
OptInStatus = Literal["onboarding", "unconfirmed"]

RecordTypes = Literal["persons", "companies", "both"]
OptInSource = Literal["subscriptions", "field"]
Mode = Literal["sandbox", "live"]

#: Seed 003, "Address data": the default billing address fields.
ADDRESS_FIELDS: tuple[str, ...] = (
    "addressee", "addr1", "addr2", "addr3", "city", "country", "state", "zip",
)

DATASETS: tuple[str, ...] = ("customers", "contacts", "items", "orders")

#: Directions that write into NetSuite (everything but NetSuite -> Bronto).
WRITES_NETSUITE = frozenset(d for d in DIRECTIONS if d != "netsuite_to_bronto")
WRITES_MARKETING = frozenset(d for d in DIRECTIONS if d != "bronto_to_netsuite")

#: Longest configuration file read (a real one is a few KB).
MAX_FILE_BYTES = 1024 * 1024
#: Longest duration any setting takes (a poll interval of a year is a typo).
MAX_DURATION = timedelta(days=366)
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """Accept "1h", "30m", "1h30m", "90s", "2d" or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration such as '1h', '30m' or '90s'")
    too_long = f"a duration of at most {MAX_DURATION.days}d"
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) > MAX_DURATION.total_seconds():
            raise ValueError(too_long)
        return timedelta(seconds=value)
    if isinstance(value, str) and len(value) <= 64:
        m = _DURATION.match(value)
        if m and any(m.groups()):
            d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                total = timedelta(days=d, hours=h, minutes=mi, seconds=s)
            except OverflowError:
                raise ValueError(too_long) from None
            if total > MAX_DURATION:
                raise ValueError(too_long)
            return total
    raise ValueError("a duration such as '1h', '30m' or '90s'")


def format_duration(value: timedelta) -> str:
    total = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]


def _http_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must start with http:// or https://")
    return value


def _env_name(value: str) -> str:
    from nstui.credentials import secret_reason

    reason = secret_reason(value)
    if reason:
        # The value may be the secret: it is never echoed (see describe_validation_error).
        raise ValueError(f"{reason}; the file names the variable, never the secret itself")
    return value


def _live_https(model: Any) -> Any:
    if model.mode == "live":
        from nstui.http_guard import live_url_problem

        problem = live_url_problem(model.url)
        if problem:
            raise ValueError(f"base_url: {problem}")
    return model


_ENTITIES: tuple[Literal["customers", "contacts"], ...] = ("customers", "contacts")

class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# ---------------------------------------------------------------------------
# Remote systems
# ---------------------------------------------------------------------------


class NetSuiteConfig(Model):
    mode: Mode = "sandbox"
    account_id: str = Field("1234567-SB1", pattern=r"^[A-Za-z0-9_-]+$")
    base_url: str | None = None
    consumer_key_env: str = "NSTUI_NS_CONSUMER_KEY"
    consumer_secret_env: str = "NSTUI_NS_CONSUMER_SECRET"
    token_id_env: str = "NSTUI_NS_TOKEN_ID"
    token_secret_env: str = "NSTUI_NS_TOKEN_SECRET"
    concurrency: int = Field(1, ge=1, le=50)
    timeout_s: float = Field(30.0, gt=0, le=600)
    page_size: int = Field(1000, ge=5, le=1000)
    max_retries: int = Field(6, ge=0, le=20)
    #: The time zone SuiteQL shows times in: the integration user's time zone
    #: preference (Home > Set Preferences), an IANA name.
    time_zone: str = "UTC"
    #: Internal id of the subsidiary new customers and contacts get; required on
    #: a OneWorld account (`nstui doctor` says when).
    subsidiary: int | None = Field(None, ge=1)
    max_answer_mb: float = Field(32, gt=0, le=1024)

    _check_env = field_validator(
        "consumer_key_env", "consumer_secret_env", "token_id_env", "token_secret_env"
    )(_env_name)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone name (an IANA name such as 'UTC' or 'America/Los_Angeles')") from None
        return v

    _check_url = field_validator("base_url")(_http_url)
    _check_live = model_validator(mode="after")(_live_https)

    @property
    def realm(self) -> str:
        """TBA realm: the account id upper-cased, '-' as '_' (1234567_SB1)."""
        return self.account_id.upper().replace("-", "_")

    @property
    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = self.account_id.lower().replace("_", "-")
        return f"https://{host}.suitetalk.api.netsuite.com"


class MarketingConfig(Model):
    mode: Mode = "sandbox"
    region: Literal["r1", "r2", "r3"] = "r1"
    base_url: str | None = None
    username_env: str = "NSTUI_DD_USERNAME"
    password_env: str = "NSTUI_DD_PASSWORD"
    parent_company: str = Field("Honeycomb Holdings Inc.", min_length=1)
    company: str = Field("Dotdigital Dev", min_length=1)
    country_code: str = Field("US", pattern=r"^[A-Z]{2}$")
    timeout_s: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(6, ge=0, le=20)
    max_answer_mb: float = Field(32, gt=0, le=1024)
    import_batch_size: int = Field(1000, ge=1, le=1000)

    _check_env = field_validator("username_env", "password_env")(_env_name)

    _check_url = field_validator("base_url")(_http_url)
    _check_live = model_validator(mode="after")(_live_https)

    @property
    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"https://{self.region}-api.dotdigital.com"

    def list_name(self, kind: str) -> str:
        """Seed 003: ``NetSuite (<Parent> - <Company> - <CC>) - Customers``."""
        return f"NetSuite ({self.parent_company} - {self.company} - {self.country_code}) - {kind}"

    @property
    def catalog_name(self) -> str:
        """Seed 003: ``catalog_<Parent><Company><CC>_NetSuite``, letters and digits only."""
        def strip(s: str) -> str:
            return re.sub(r"[^A-Za-z0-9]", "", s)

        return f"catalog_{strip(self.parent_company)}{strip(self.company)}{strip(self.country_code)}_NetSuite"


class SandboxConfig(Model):
    data_dir: str = "sandbox-data"
    seed: int = Field(42, ge=0, le=2**63 - 1)
    records: int = Field(2000, ge=0, le=1_000_000)
    fixture: str | None = None
    latency_ms: float = Field(0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0, le=1)
    throttle_rate: float = Field(0.0, ge=0, le=1)


# ---------------------------------------------------------------------------
# Seed 000: opt-ins
# ---------------------------------------------------------------------------


class CampaignSubscriptionMapping(Model):
    netsuite_subscription: str = Field(min_length=1)
    direction: Direction = "netsuite_to_bronto"
    list: str

    @field_validator("netsuite_subscription", "list")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v


class GlobalStatusConfig(Model):
    direction: GlobalStatusDirection = "bronto_to_netsuite"
    soft_opt_in_status: OptInStatus = "onboarding"
    confirmed_opt_in_status: OptInStatus = "onboarding"
    soft_opt_out_for_unsubscribed: bool = True
    soft_opt_out_for_bounce: bool = True
    add_opt_ins_to_lists: list[str] = Field(default_factory=list)
    remove_opt_outs_from_lists: bool = False
    #: A NetSuite opt-in never silently reverses a marketing unsubscribe; with
    #: this on it sends the platform's resubscribe-with-confirmation instead.
    resubscribe_with_confirmation: bool = False

    @field_validator("add_opt_ins_to_lists")
    @classmethod
    def _lists(cls, v: list[str]) -> list[str]:
        for name in v:
            if not name.strip():
                raise ValueError("a list name must not be empty")
        if len(set(v)) != len(v):
            raise ValueError("a list is named twice")
        return v


class OptInsConfig(Model):
    enable_connection: bool = True
    #: Seed 003: "use either the NetSuite marketing subscriptions or a field".
    source: OptInSource = "subscriptions"
    #: The NetSuite field holding opt-in/out when source = "field".
    source_field: str | None = None
    #: Seed 003: "only for those entities you are syncing".
    datasets: list[Literal["customers", "contacts"]] = Field(default_factory=lambda: list(_ENTITIES))
    #: Seed 003: "optionally allow the creation of a contact if we can't find a
    #: match in NetSuite ... to ensure that NetSuite has the opt-out status".
    create_missing_contact: bool = False
    campaign_subscriptions: list[CampaignSubscriptionMapping] = Field(default_factory=list)
    global_status: GlobalStatusConfig = Field(default_factory=GlobalStatusConfig)

    @model_validator(mode="after")
    def _rules(self) -> "OptInsConfig":
        seen: set[str] = set()
        for m in self.campaign_subscriptions:
            key = m.netsuite_subscription.strip().lower()
            if key in seen:
                raise ValueError(
                    f"campaign subscription {m.netsuite_subscription!r} is mapped twice; "
                    "each NetSuite campaign subscription maps to one list"
                )
            seen.add(key)
        if self.source == "field" and not self.source_field:
            raise ValueError("source = 'field' needs source_field, the NetSuite field that holds opt-in/out")
        return self


# ---------------------------------------------------------------------------
# Seed 003: data sets
# ---------------------------------------------------------------------------


class FieldMapping(Model):
    netsuite: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    marketing: str = Field(min_length=1)
    direction: Direction = "netsuite_to_bronto"
    #: NetSuite's field type, as the admin gives it; "multiselect" cannot be
    #: mapped on items (seed 003).
    netsuite_type: str | None = None


class DatasetBase(Model):
    enabled: bool = True
    poll_interval: Annotated[Duration, Field(ge=timedelta(seconds=1))] = timedelta(hours=1)
    fields: list[FieldMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_double_mapping(self) -> "DatasetBase":
        seen: set[str] = set()
        for f in self.fields:
            if f.marketing.lower() in seen:
                raise ValueError(f"marketing field {f.marketing!r} is mapped twice")
            seen.add(f.marketing.lower())
        return self

    def mapped(self, netsuite_field: str) -> FieldMapping | None:
        for f in self.fields:
            if f.netsuite == netsuite_field:
                return f
        return None


class EntityDatasetConfig(DatasetBase):
    record_types: RecordTypes = "persons"
    default_country: str = Field("US", pattern=r"^[A-Z]{2}$")
    #: Multiple-match handling: a later sales stage takes over a link only when
    #: the names match too.
    names_must_match: bool = True

    @model_validator(mode="after")
    def _entity_rules(self) -> "EntityDatasetConfig":
        addr = [f for f in self.fields if f.netsuite in ADDRESS_FIELDS]
        if any(f.direction in WRITES_NETSUITE for f in addr):
            mapped = {f.netsuite for f in addr}
            missing = [a for a in ADDRESS_FIELDS if a not in mapped]
            if missing:
                raise ValueError(
                    "address fields synced in both directions must all be mapped, or "
                    f"the unmapped ones lose their values; missing: {', '.join(missing)}"
                )
        if self.record_types in ("companies", "both"):
            missing = [n for n in ("isperson", "companyname") if self.mapped(n) is None]
            if missing:
                raise ValueError(
                    f"record_types = {self.record_types!r} syncs companies, which needs "
                    f"{' and '.join(missing)} mapped to a marketing data field"
                )
        return self


class ItemsDatasetConfig(DatasetBase):
    #: NetSuite price level whose price goes into the catalog.
    price_level: str = "Base Price"
    #: ISO code of the currency whose prices go into the catalog (NetSuite
    #: keeps one price per currency when multiple currencies are on).
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    fallback_product_url: str | None = None
    fallback_image_url: str | None = None

    @model_validator(mode="after")
    def _items_rules(self) -> "ItemsDatasetConfig":
        for f in self.fields:
            if (f.netsuite_type or "").lower().replace("-", "").replace("_", "") == "multiselect":
                raise ValueError(
                    f"{f.netsuite!r} is a multi-select custom field; seed 003: custom "
                    "multi-select fields cannot be mapped on items"
                )
        return self


class OrdersDatasetConfig(DatasetBase):
    #: Custom body fields of sales orders to include in the order data.
    custom_fields: list[str] = Field(default_factory=list)
    #: A custom body field (an email, or a link to a contact/customer) that
    #: links an order to another contact than the customer who placed it.
    link_field: str | None = None
    #: Additional SuiteQL criteria ANDed onto the transaction query.
    filter: str = ""

    @field_validator("custom_fields")
    @classmethod
    def _custom(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.match(r"^custbody[A-Za-z0-9_]*$", name):
                raise ValueError(f"{name!r} is not a sales-order custom body field (custbody...)")
        return v

    @field_validator("link_field")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^custbody[A-Za-z0-9_]*$", v):
            raise ValueError(f"{v!r} is not a sales-order custom body field (custbody...)")
        return v

    @field_validator("filter")
    @classmethod
    def _filter(cls, v: str) -> str:
        try:
            return validate_filter(v)
        except FilterError as e:
            raise ValueError(f"filter is not allowed: {e}") from None


class DatasetsConfig(Model):
    customers: EntityDatasetConfig = Field(default_factory=EntityDatasetConfig)
    contacts: EntityDatasetConfig = Field(default_factory=EntityDatasetConfig)
    items: ItemsDatasetConfig = Field(default_factory=ItemsDatasetConfig)
    orders: OrdersDatasetConfig = Field(default_factory=OrdersDatasetConfig)

    def get(self, name: str) -> DatasetBase:
        dataset: DatasetBase = getattr(self, name)
        return dataset


class EngineConfig(Model):
    #: The incremental read starts this far before the watermark: NetSuite's
    #: clock and ours differ, and rows committed late must not be lost.
    watermark_overlap: Annotated[Duration, Field(ge=timedelta(0), le=timedelta(days=7))] = timedelta(minutes=5)
    #: Two changes closer than this count as simultaneous ("latest wins" then
    #: prefers the opt-out for consent, and the configured master otherwise).
    skew_tolerance: Annotated[Duration, Field(ge=timedelta(0), le=timedelta(hours=1))] = timedelta(seconds=2)
    #: A pass that would delete more than this share of linked contacts stops.
    max_delete_fraction: float = Field(0.2, ge=0, le=1)


class StateConfig(Model):
    #: SQLite state file; empty means the user data dir (platformdirs).
    path: str | None = None


class TuiConfig(Model):
    theme: str = "nstui-dark"


def _keys_table(value: dict[str, str]) -> dict[str, str]:
    from nstui.keys import problems

    found = problems(value)
    if found:
        raise ValueError("; ".join(found))
    return value


class Config(Model):
    netsuite: NetSuiteConfig = Field(default_factory=NetSuiteConfig)
    marketing: MarketingConfig = Field(default_factory=MarketingConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    optins: OptInsConfig = Field(default_factory=OptInsConfig)
    datasets: DatasetsConfig = Field(default_factory=DatasetsConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    tui: TuiConfig = Field(default_factory=TuiConfig)
    #: The console's keys by action name (nstui/keys.py): validated, shown in the footer and on the ? screen.
    keys: Annotated[dict[str, str], AfterValidator(_keys_table)] = Field(default_factory=dict)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ConfigError(Exception):
    """One or more problems with a configuration file, each one line."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))

    def lines(self) -> list[str]:
        """One line per problem, safe for a terminal (nothing from the file
        reaches it unescaped)."""
        return [clean(f"{self.path}: {p}", 1000) for p in self.problems]


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def describe_validation_error(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        key = _loc(e["loc"]) or "(top level)"
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        kind = e["type"]
        if kind == "extra_forbidden":
            problems.append(f"{key}: unknown key")
            continue
        if kind == "missing":
            problems.append(f"{key}: required key is missing")
            continue
        value = e.get("input")
        # A whole section (a rule across its fields) is no value to quote.
        if (isinstance(value, (dict, list, BaseModel)) and kind != "literal_error") or repr(value) in msg:
            shown = ""
        elif key.endswith("_env"):  # perhaps a secret pasted in place of a name: a short prefix only
            shown = f" (got {preview(value)})"
        else:
            shown = f" (got {clean(repr(value), 80)})"
        if kind == "literal_error":
            allowed = e.get("ctx", {}).get("expected", "")
            msg = f"not allowed; allowed: {allowed}"
        problems.append(f"{key}: {msg}{shown}")
    return problems


# ---------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------


def default_config_path() -> Path:
    env = os.environ.get("NSTUI_CONFIG")
    return Path(env) if env else Path("nstui.toml")


def _plain(value: Any) -> Any:
    """tomlkit items -> plain Python values (tomlkit's own unwrap, kept in one place)."""
    return value.unwrap() if hasattr(value, "unwrap") else value


class ConfigFile:
    """A configuration file: its tomlkit document (for faithful saves) and model.

    ``model`` is what the program uses; ``save()`` writes the model back into
    the document, changing only the values that differ, and replaces the file
    atomically.
    """

    def __init__(self, path: Path, document: tomlkit.TOMLDocument, model: Config):
        self.path = path
        self.document = document
        self.model = model

    # -- loading ---------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str) -> "ConfigFile":
        path = Path(path)
        document = parse_toml(path, read_config_text(path))
        model = validate_document(path, document)
        return cls(path, document, model)

    @classmethod
    def from_text(cls, path: Path | str, text: str) -> "ConfigFile":
        path = Path(path)
        document = parse_toml(path, text)
        return cls(path, document, validate_document(path, document))

    # -- paths -------------------------------------------------------------

    @property
    def base_dir(self) -> Path:
        return self.path.resolve().parent

    def resolve(self, value: str | os.PathLike[str]) -> Path:
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else self.base_dir / p

    @property
    def state_path(self) -> Path:
        env = os.environ.get("NSTUI_STATE")
        if env:
            return Path(env)
        if self.model.state.path:
            return self.resolve(self.model.state.path)
        import platformdirs

        return Path(platformdirs.user_data_dir("nstui")) / self.default_state_name()

    def default_state_name(self) -> str:
        """One state file per pair of systems: links and watermarks of one
        NetSuite account and marketing account never meet another's (nor a
        sandbox's, which lives in its own folder)."""
        m = self.model
        ends = [m.netsuite.mode, m.netsuite.account_id.lower(), m.marketing.mode, m.marketing.url,
                m.marketing.parent_company, m.marketing.company, m.marketing.country_code]
        if "sandbox" in (m.netsuite.mode, m.marketing.mode):
            ends.append(str(self.sandbox_dir.resolve()))
        digest = hashlib.sha256("\n".join(ends).encode()).hexdigest()[:10]
        account = re.sub(r"[^a-z0-9_-]", "", m.netsuite.account_id.lower())
        return f"state-{account}-{digest}.sqlite"

    @property
    def sandbox_dir(self) -> Path:
        env = os.environ.get("NSTUI_SANDBOX_DIR")
        return Path(env) if env else self.resolve(self.model.sandbox.data_dir)

    @property
    def sandbox_fixture(self) -> Path | None:
        f = self.model.sandbox.fixture
        return self.resolve(f) if f else None

    # -- dotted keys -------------------------------------------------------

    def get(self, key: str) -> Any:
        """A value of the validated model by dotted key (defaults included)."""
        node: Any = self.model.model_dump(mode="json", exclude_none=False)
        for part in _split_key(key):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ConfigError(self.path, [f"{key}: no such key"])
        return node

    def set(self, key: str, value: Any) -> None:
        """Set a dotted key in the document, validate, and adopt the result.

        Raises ConfigError (and leaves the document and model as they were)
        when the value would make the configuration invalid.
        """
        parts = _split_key(key)
        trial = tomlkit.parse(tomlkit.dumps(self.document))
        node: Any = trial
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(self.path, [f"{key}: no such key"])
                node = node[int(part)]
            elif isinstance(node, dict):
                if part not in node:
                    node[part] = tomlkit.table()
                node = node[part]
            else:
                raise ConfigError(self.path, [f"{key}: {'.'.join(parts[:i])} is a value, not a table"])
        last = parts[-1]
        try:
            if isinstance(node, list):
                if not last.isdigit() or int(last) >= len(node):
                    raise ConfigError(self.path, [f"{key}: no such key"])
                node[int(last)] = value
            elif isinstance(node, dict):
                node[last] = value
            else:
                raise ConfigError(self.path, [f"{key}: {'.'.join(parts[:-1])} is a value, not a table"])
        except (TypeError, ValueError, tomlkit.exceptions.TOMLKitError) as e:
            raise ConfigError(self.path, [f"{key}: this value cannot be written here ({clean(e, 120)})"]) from None
        model = validate_document(self.path, trial)
        self.document = trial
        self.model = model

    # -- saving ------------------------------------------------------------

    def update(self, model: Config) -> None:
        """Adopt a changed model (from the console), keeping the document's
        comments and formatting: only values that differ are written."""
        validated = Config.model_validate(model.model_dump(mode="json", exclude_none=True))
        merge_into_document(self.document, validated.model_dump(mode="json", exclude_none=True), Config())
        self.model = validated

    def dumps(self) -> str:
        return tomlkit.dumps(self.document)

    def save(self) -> None:
        atomic_write(self.path, self.dumps())


_KEY_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _split_key(key: str) -> list[str]:
    parts = key.strip().split(".")
    if not key.strip() or len(key) > 300 or not all(_KEY_PART.match(p) for p in parts):
        raise ConfigError("<key>", [f"{clean(repr(key), 80)} is not a dotted key such as optins.global_status.direction "
                                    "(letters, digits, _ and - between dots)"])
    return parts


def read_config_text(path: Path) -> str:
    """The file's text: a regular file (a FIFO would block, a device never
    ends), at most MAX_FILE_BYTES, UTF-8 with or without a BOM."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ConfigError(path, ["file not found (give --config PATH or set NSTUI_CONFIG)"]) from None
    except OSError as e:
        raise ConfigError(path, [f"cannot read the file: {e.strerror or e.__class__.__name__}"]) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a file")
            raise ConfigError(path, [f"is {kind}; a configuration must be a regular TOML file"])
        if st.st_size > MAX_FILE_BYTES:
            raise ConfigError(path, [f"is {st.st_size} bytes; a configuration file may be at most {MAX_FILE_BYTES}"])
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ConfigError(path, [f"cannot read the file: {e.strerror or e.__class__.__name__}"]) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(path, [f"is larger than {MAX_FILE_BYTES} bytes, the most a configuration file may be"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(path, [f"is not UTF-8 text (byte {e.start})"]) from None


def parse_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    text = text.removeprefix("\ufeff")
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as e:
        msg = str(e)
        # tomlkit's message ends with "at line L col C"; keep it, it names the spot.
        raise ConfigError(path, [f"line {e.line}, column {e.col}: invalid TOML: {msg}"]) from None


#: Settings whose text may run over lines (tabs and newlines allowed).
_MULTILINE = {"datasets.orders.filter"}


def control_problems(node: Any, key: str = "") -> list[str]:
    """Keys or values holding control characters (an ESC in a theme name
    would reach the terminal through `config get` and the console)."""
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{key}.{k}" if key else str(k)
            if has_control(str(k)):
                out.append(f"{clean(sub, 120)}: a key with a control character is not allowed")
            else:
                out += control_problems(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += control_problems(v, f"{key}.{i}")
    elif isinstance(node, str) and has_control(node, allow="\t\n\r" if key in _MULTILINE else ""):
        out.append(f"{key}: control characters are not allowed (got {clean(repr(node), 80)})")
    return out


def validate_document(path: Path, document: Any) -> Config:
    plain = _plain(document)
    problems = control_problems(plain)
    if problems:
        raise ConfigError(path, problems)
    try:
        return Config.model_validate(plain)
    except ValidationError as e:
        raise ConfigError(path, describe_validation_error(e)) from None


_MISSING = object()


def merge_into_document(doc: Any, new: dict[str, Any], defaults: Any) -> None:
    """Write ``new`` into the tomlkit container ``doc`` with the fewest edits.

    A key whose value is unchanged is not touched (its comment and format
    stay); a key absent from the file is added only when it differs from the
    default; a key that became None/absent is removed.
    """
    default_dump = defaults.model_dump(mode="json", exclude_none=True) if isinstance(defaults, BaseModel) else (defaults or {})
    for key, value in new.items():
        present = key in doc
        current = _plain(doc[key]) if present else default_dump.get(key, _MISSING)
        if current == value:
            continue
        if isinstance(value, dict):
            if present and isinstance(doc[key], dict):
                merge_into_document(doc[key], value, default_dump.get(key, {}))
            else:
                table = tomlkit.table()
                sub_default = default_dump.get(key, {})
                for k, v in value.items():
                    if sub_default.get(k, _MISSING) != v:
                        table[k] = v
                doc[key] = table
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and present:
            existing = doc[key]
            if isinstance(existing, list) and len(existing) and all(isinstance(e, dict) for e in existing):
                # The comments under the last entry head the next section: they
                # stay last whichever entries are removed or added.
                last = _body(existing[-1]) or []
                cut = _trivia_start(last, len(last))
                trivia, last[cut:] = last[cut:], []
                _drop_removed_tables(existing, value)
                for i, item in enumerate(value):
                    if i < len(existing):
                        merge_into_document(existing[i], item, {})
                        for k in [k for k in existing[i] if k not in item]:
                            del existing[i][k]
                    else:
                        _append_keeping_comments(existing, item)
                while len(existing) > len(value):
                    del existing[len(existing) - 1]
                tail = _body(existing[-1])
                if tail is not None:
                    del tail[_trivia_start(tail, len(tail)):]
                    tail.extend(trivia)
                continue
        if value == [] and present and isinstance(doc[key], list) and len(doc[key]) and default_dump.get(key) == []:
            _remove_keeping_comments(doc, key)  # the last entry held the next section's heading
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            aot = tomlkit.aot()
            for item in value:
                aot.append(item)
            doc[key] = aot
            continue
        if not present and not isinstance(value, dict):
            _add_before_comments(doc, key, value)
            continue
        doc[key] = value
    for key in [k for k in doc if k not in new]:
        del doc[key]


def _body(container: Any) -> list[Any] | None:
    inner = getattr(container, "value", container)
    return getattr(inner, "body", None)


def _trivia_start(body: list[Any], end: int) -> int:
    """Where the comments and blank lines just before ``end`` begin: in a
    TOML file they introduce what follows (the next section's "# Step 6"),
    though tomlkit keeps them in the table above."""
    from tomlkit.items import Comment, Whitespace

    i = end
    while i > 0 and body[i - 1][0] is None and isinstance(body[i - 1][1], (Comment, Whitespace)):
        i -= 1
    return i


def _add_before_comments(doc: Any, key: str, value: Any) -> None:
    """A new key goes among its table's keys, above the comments that head the
    next section (a new source_field stayed under "# Step 5")."""
    from tomlkit.items import AoT, Table

    body = _body(doc)
    inner = getattr(doc, "value", doc)
    if body is None or not hasattr(inner, "_insert_at"):
        doc[key] = value
        return
    first_table = next((i for i, (k, item) in enumerate(body) if k is not None and isinstance(item, (Table, AoT))),
                       len(body))
    at = _trivia_start(body, first_table)
    if at >= len(body):
        doc[key] = value
    else:
        inner._insert_at(at, key, value)  # noqa: SLF001 (tomlkit has no public insert)


def _remove_keeping_comments(doc: Any, key: str) -> None:
    """Remove an array of tables whose default is empty; the comments under
    its last entry (the next section's heading) stay where the array was."""
    aot = doc[key]
    last = _body(aot[-1]) or []
    trivia = last[_trivia_start(last, len(last)):]
    inner = getattr(doc, "value", doc)
    body = _body(doc)
    at = next((i for i, (k, _) in enumerate(body or []) if k is not None and k.key == key), None)
    del doc[key]
    if body is None or at is None or not hasattr(inner, "_map"):
        return
    for offset, entry in enumerate(trivia):
        i = at + offset
        # tomlkit indexes its keys by position: those after the insertion move by one
        for k, v in inner._map.items():  # noqa: SLF001
            inner._map[k] = tuple(x + 1 if x >= i else x for x in v) if isinstance(v, tuple) else (v + 1 if v >= i else v)  # noqa: SLF001
        body.insert(i, entry)


def _append_keeping_comments(aot: Any, item: dict[str, Any]) -> None:
    """Append to an array of tables; the comments under its last entry (the
    next section's heading) move under the new one."""
    body = _body(aot[-1]) if len(aot) else None
    trivia: list[Any] = []
    if body:
        from tomlkit.items import Whitespace

        cut = _trivia_start(body, len(body))
        trivia, body[cut:] = body[cut:], []
        if not body or not isinstance(body[-1][1], Whitespace):
            body.append((None, Whitespace("\n")))  # a blank line between entries
    aot.append(item)
    new_body = _body(aot[-1])
    if new_body is not None:
        new_body.extend(trivia)


def _drop_removed_tables(existing: Any, new: list[dict[str, Any]]) -> None:
    """Delete the array-of-tables entries that are gone from ``new``, so the
    ones that stay keep their own comments instead of shifting into their
    neighbours' places."""
    import difflib
    import json

    old_keys = [json.dumps(_plain(e), sort_keys=True, default=str) for e in existing]
    new_keys = [json.dumps(e, sort_keys=True, default=str) for e in new]
    gone = [
        i
        for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False).get_opcodes()
        if tag == "delete"
        for i in range(i1, i2)
    ]
    for i in reversed(gone):
        del existing[i]


def parse_cli_value(text: str) -> Any:
    """A value typed on the command line: TOML syntax when it parses as a TOML
    value (true, 3, 1.5, ["a", "b"], "quoted"), otherwise the plain string."""
    try:
        return _plain(tomlkit.parse(f"v = {text}")["v"])
    except Exception:  # noqa: BLE001 (not TOML: the bare word is the string)
        return text
