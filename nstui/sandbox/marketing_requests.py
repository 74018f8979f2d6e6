"""What the marketing sandbox accepts in a request, as Dotdigital's OpenAPI
files declare it: the request bodies' types and enums, the query parameters'
ranges. A request that breaks them is refused with a 400 before anything is
written, as the platform refuses a malformed request ("Bad request"), never
answered with a 500 or half applied.

Sources: dotdigital-contacts-service.json (updateContactRequest,
contactRequest, v3_import_body, the getContacts parameters),
dotdigital-insight-data-service.json (importInsightData,
postCreateInsightDataCollection, collectionName's pattern),
dotdigital-v2-api-swagger.json (the int32 ids) and ecommerce.yaml
(get-orders-since-date: "select must be between 1 and 1000. skip must not be
negative", answered 400 ERROR_PARAMETER_INVALID).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

INT32 = 2**31 - 1
#: INSIGHT collectionName: (^[-A-Za-z_][-A-Za-z0-9_]{1,255}$)
COLLECTION_NAME = re.compile(r"[-A-Za-z_][-A-Za-z0-9_]{1,255}")
#: getContacts data-fields: "a pipe delimited string of the contact data fields required or [[ALL]]"
DATA_FIELD_NAME = re.compile(r"\[\[ALL\]\]|[A-Za-z][A-Za-z0-9_]{0,49}")
COLLECTION_TYPES = ("cartInsight", "catalog", "consentInsight", "custom", "easyEditorExtensions",
                    "nostoEmailCampaigns", "orders", "productCategories", "webInsight", "wishList")


#: "Mobile number (in international format E.164)": developer.dotdigital.com, Understanding unified contacts
E164 = re.compile(r"\+[1-9]\d{4,14}")


class BadRequest(ValueError):
    """A request the documents refuse: what, where, what is allowed."""


class InvalidEntry(ValueError):
    """One contact the platform cannot take, with its failure code."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code


def valid_email(text: str) -> bool:
    """The same syntax check nstui makes before it sends an address (no DNS)."""
    try:
        validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return False
    return True


class Open(BaseModel):
    # The spec's objects are open: unknown properties are ignored, not refused.
    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResubscribeOptions(Open):
    resubscribeWithNoChallenge: StrictBool | None = None
    preferredLocale: StrictStr | None = None
    redirectUrlAfterChallenge: StrictStr | None = None


class EmailChannelWrite(Open):
    emailType: Literal["plainText", "html"] | None = None
    optInType: Literal["unknown", "single", "double", "verifiedDouble"] | None = None
    status: Literal["subscribed", "unsubscribed", "suppressed"] | None = None
    resubscribeOptions: ResubscribeOptions | None = None


class ChannelPropertiesWrite(Closed):
    email: EmailChannelWrite | None = None
    sms: dict[str, Any] | None = None
    whatsApp: dict[str, Any] | None = None


class Identifiers(BaseModel):
    # Their values are checked contact by contact (valid_email, E164): an
    # import reports a bad one as that contact's failure, not a refused request.
    model_config = ConfigDict(extra="allow")
    email: StrictStr | None = None
    mobileNumber: StrictStr | None = None

    @model_validator(mode="after")
    def _custom_identifiers_are_strings(self) -> Identifiers:
        for name, value in (self.model_extra or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"identifier {name[:50]!r} must be a string")
        return self


class ContactWriteBody(Open):
    """updateContactRequest: what a PATCH (importContact) carries."""

    identifiers: Identifiers | None = None
    matchIdentifier: StrictStr | None = None
    dataFields: dict[str, Any] | None = None
    channelProperties: ChannelPropertiesWrite | None = None
    lists: list[Annotated[StrictInt, Field(ge=1, le=INT32)]] | None = Field(None, min_length=1, max_length=100)
    preferences: list[Any] | None = Field(None, min_length=1)


class ContactRequest(ContactWriteBody):
    """contactRequest: an import's contact names its identifiers and the one to match on."""

    identifiers: Identifiers
    matchIdentifier: StrictStr = Field(pattern=r"^[-A-Za-z0-9_]{1,50}$")


class ImportBody(Open):
    mergeOption: Literal["overwrite", "overwriteIfNotEmpty", "overwriteIfEmpty"] = "overwrite"
    contacts: list[ContactRequest] = Field(min_length=1)


class ContactIdentity(Open):
    identifier: StrictStr
    value: StrictStr


class InsightRecord(Open):
    key: StrictStr = Field(min_length=1)
    json_: dict[str, Any] = Field(alias="json")
    contactIdentity: ContactIdentity | None = None


class InsightImportBody(Open):
    collectionName: StrictStr
    collectionScope: Literal["account", "contact"]
    collectionType: Literal[COLLECTION_TYPES]  # type: ignore[valid-type]
    records: list[InsightRecord] = Field(min_length=1)


def _first_problem(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the body"
    return f"{where}: {err['msg']}"


def parse(model: type[BaseModel], body: Any) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as e:
        raise BadRequest(_first_problem(e)) from None


def whole(value: str | None, name: str, *, low: int, high: int = INT32, default: int | None = None) -> int:
    """An integer query or path parameter in its documented range."""
    if value is None:
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    if not re.fullmatch(r"-?\d{1,12}", value) or not low <= int(value) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}, not {value[:40]!r}")
    return int(value)


def collection_name(name: str) -> str:
    if not COLLECTION_NAME.fullmatch(name):
        raise BadRequest(f"collectionName {name[:60]!r} is not a valid collection name "
                         "(a letter, - or _, then 1 to 255 letters, digits, - or _)")
    return name


def choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return value
