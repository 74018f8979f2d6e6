"""Strict models of Dotdigital's wire format, written from its OpenAPI
descriptions (v3 contacts, v3 insight data, v2 address books and
suppressions). The client parses every answer through them, so an answer that
drifts from the spec (an unknown field, a wrong enum) fails loudly."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# -- v3 contacts ----------------------------------------------------------------

ContactState = Literal["subscribed", "unsubscribed", "pendingOptIn", "deleted", "suppressed", "binned", "noSubscription"]
EmailStatus = Literal[
    "noSubscription", "subscribed", "unsubscribed", "softBounced", "hardBounced", "ispComplained", "pendingOptIn",
    "directComplaint", "spamTrap", "deleted", "blockedlocalpart", "sharedsuppression", "sharedDomainSuppression",
    "suppressed", "purchased", "knownComplainer", "knownLitigator", "binned", "domainSuppressed",
]
OptInType = Literal["Unknown", "Single", "Double", "VerifiedDouble"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Identifiers(BaseModel):
    # The spec allows custom identifiers beside these.
    model_config = ConfigDict(extra="allow")
    email: str | None = None
    mobileNumber: str | None = None


class EmailChannel(Strict):
    emailType: Literal["PlainText", "Html"] | None = None
    optInType: OptInType | None = None
    status: EmailStatus | None = None


class ChannelProperties(Strict):
    email: EmailChannel | None = None
    sms: dict[str, Any] | None = None
    whatsApp: dict[str, Any] | None = None


class ContactList(Strict):
    id: int
    name: str | None = None
    status: Literal["subscribed", "suppressed", "pending"] | None = None


class Contact(Strict):
    contactId: int
    status: ContactState
    created: datetime
    updated: datetime
    identifiers: Identifiers
    dataFields: dict[str, Any] | None = None
    channelProperties: ChannelProperties | None = None
    lists: list[ContactList] | None = None
    preferences: list[dict[str, Any]] | None = None
    consentRecords: list[dict[str, Any]] | None = None


class Marker(Strict):
    marker: str
    link: str


class Links(Strict):
    self_: Marker | None = Field(None, alias="self")
    first: Marker | None = None
    prev: Marker | None = None
    next: Marker | None = None
    last: Marker | None = None


class ContactsPage(Strict):
    links: Links = Field(alias="_links")
    items: list[Contact] = Field(alias="_items")


class ImportStarted(Strict):
    importId: str


class ContactReference(Strict):
    contactId: int
    identifiers: Identifiers


class FailureDetail(Strict):
    failureCode: str
    description: str


class ImportFailure(Strict):
    contactId: int | None = None
    matchIdentifier: str | None = None
    identifiers: Identifiers | None = None
    failures: list[FailureDetail] = []


class ImportSummary(Strict):
    newContacts: int = 0
    updatedContacts: int = 0
    globallySuppressed: int = 0
    invalidEntries: int = 0
    duplicateIdentifiers: int = 0


class ContactImportStatus(Strict):
    importId: str
    status: Literal["Finished", "NotFinished", "RejectedByWatchdog", "Failed", "ExceedsAllowedContactLimit"]
    summary: ImportSummary | None = None
    created: list[ContactReference] | None = None
    updated: list[ContactReference] | None = None
    failures: list[ImportFailure] | None = None


class ErrorDetail(Strict):
    item: str | None = None
    description: str | None = None


class ErrorResponse(Strict):
    errorCode: str
    description: str
    details: list[ErrorDetail] | None = None


# -- v2 address books, suppressions, account -----------------------------------------

V2Status = Literal[
    "Subscribed", "Unsubscribed", "SoftBounced", "HardBounced", "IspComplained", "MailBlocked", "PendingOptIn",
    "DirectComplaint", "Deleted", "SharedSuppression", "Suppressed", "NotAllowed", "DomainSuppression", "NoMxRecord",
    "NotAvailableInThisVersion",
]


class AddressBook(Strict):
    id: int | None = None
    name: str = Field(min_length=1)
    visibility: Literal["Private", "Public", "NotAvailableInThisVersion"] | None = None
    contacts: int | None = None


class V2ContactData(Strict):
    key: str | None = None
    value: Any = None


class V2Contact(Strict):
    id: int | None = None
    email: str = Field(min_length=1)
    optInType: Literal["Unknown", "Single", "Double", "VerifiedDouble", "NotAvailableInThisVersion"] | None = None
    emailType: Literal["PlainText", "Html", "NotAvailableInThisVersion"] | None = None
    dataFields: list[V2ContactData] | None = None
    status: V2Status | None = None


class ContactSuppression(Strict):
    suppressedContact: V2Contact | None = None
    dateRemoved: datetime | None = None
    reason: V2Status | None = None


class AccountProperty(Strict):
    name: str | None = None
    type: str | None = None
    value: str | None = None


class Account(Strict):
    id: int | None = None
    properties: list[AccountProperty]


# -- v3 insight data ----------------------------------------------------------------

CollectionType = Literal[
    "cartInsight", "catalog", "consentInsight", "custom", "easyEditorExtensions", "nostoEmailCampaigns", "orders",
    "productCategories", "webInsight", "wishList",
]


class CollectionSummary(Strict):
    collectionName: str
    collectionType: CollectionType
    collectionScope: Literal["account", "contact"] | None = None
    recordCount: int


class InsightRecord(Strict):
    key: str
    json_: dict[str, Any] = Field(alias="json")
    created: datetime
    updated: datetime
    ownerContactId: int | None = None


class InsightPage(Strict):
    links: Links = Field(alias="_links")
    items: list[InsightRecord] = Field(alias="_items")


class InsightImportSummary(Strict):
    totalRecords: int = 0
    totalImported: int = 0
    totalRejected: int = 0


class InsightImportStatus(Strict):
    importId: str
    status: Literal["NotStarted", "Processing", "Complete", "Failed"]
    collectionName: str | None = None
    summary: InsightImportSummary | None = None
    failures: list[dict[str, Any]] | None = None
