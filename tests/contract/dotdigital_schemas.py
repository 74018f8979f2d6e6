"""Minimal, hand-written descriptions of the Dotdigital operations nstui uses:
for each, the path, the query parameters it takes, the request body's JSON
schema and the JSON schema of each documented answer.

Written from Dotdigital's OpenAPI files (not copied; tests never read them).
Each operation names its source file and operationId:

- CONTACTS = dotdigital-contacts-service.json (v3 contacts)
- INSIGHT  = dotdigital-insight-data-service.json (v3 insight data)
- V2       = dotdigital-v2-api-swagger.json (v2)
- LISTS    = Dotdigital-dotdigital-lists-address-books-2.0.0-resolved.yaml (v2 lists)

Only the fields nstui sends or reads are described in detail; objects stay
open (additional properties allowed) unless the spec closes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CONTACTS = "dotdigital-contacts-service.json"
INSIGHT = "dotdigital-insight-data-service.json"
V2 = "dotdigital-v2-api-swagger.json"
LISTS = "Dotdigital-dotdigital-lists-address-books-2.0.0-resolved.yaml"

# -- shared pieces -------------------------------------------------------------------

ERROR_V3 = {"type": "object", "required": ["errorCode", "description"],
            "properties": {"errorCode": {"type": "string"}, "description": {"type": "string"},
                           "details": {"type": "array"}}}
MARKER = {"type": "object", "required": ["link", "marker"],
          "properties": {"link": {"type": "string"}, "marker": {"type": "string"}}}
#: paginationLinks: first and self required (CONTACTS and INSIGHT, components/schemas/paginationLinks).
PAGINATION_LINKS = {"type": "object", "required": ["first", "self"],
                    "properties": {k: MARKER for k in ("self", "first", "prev", "next", "last")}}
IDENTIFIERS = {"type": "object", "properties": {"email": {"type": "string"}, "mobileNumber": {"type": "string"}},
               "additionalProperties": {"type": "string"}}
OPT_IN_READ = {"enum": ["Unknown", "Single", "Double", "VerifiedDouble"]}  # CONTACTS optInType
EMAIL_STATUS_READ = {"enum": [  # CONTACTS emailChannelStatus
    "noSubscription", "subscribed", "unsubscribed", "softBounced", "hardBounced", "ispComplained", "pendingOptIn",
    "directComplaint", "spamTrap", "deleted", "blockedlocalpart", "sharedsuppression", "sharedDomainSuppression",
    "suppressed", "purchased", "knownComplainer", "knownLitigator", "binned", "domainSuppressed"]}
#: CONTACTS components/schemas/contact (contactBasicDetails + channelProperties, lists...).
CONTACT = {
    "type": "object", "required": ["contactId", "created", "identifiers", "status", "updated"],
    "properties": {
        "contactId": {"type": "integer", "minimum": 0},
        "status": {"enum": ["subscribed", "unsubscribed", "pendingOptIn", "deleted", "suppressed", "binned",
                            "noSubscription"]},
        "created": {"type": "string"}, "updated": {"type": "string"},
        "identifiers": IDENTIFIERS,
        "dataFields": {"type": "object"},
        "channelProperties": {"type": "object", "additionalProperties": False, "properties": {
            "email": {"type": "object", "required": ["emailType", "optInType", "status"],
                      "additionalProperties": False, "properties": {
                          "emailType": {"enum": ["PlainText", "Html"]}, "optInType": OPT_IN_READ,
                          "status": EMAIL_STATUS_READ}},
            "sms": {"type": "object"}, "whatsApp": {"type": "object"}}},
        "lists": {"type": "array", "items": {"type": "object", "required": ["id", "name", "status"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string", "maxLength": 128},
            "status": {"enum": ["subscribed", "suppressed", "pending"]}}}},
    },
}
#: CONTACTS channelProperties_channelProperties_email (what a write may set) and the resubscribe options.
EMAIL_CHANNEL_WRITE = {"type": "object", "properties": {
    "emailType": {"enum": ["plainText", "html"]},
    "optInType": {"enum": ["unknown", "single", "double", "verifiedDouble"]},
    "status": {"enum": ["subscribed", "unsubscribed", "suppressed"]},
    "resubscribeOptions": {"type": "object", "properties": {
        "resubscribeWithNoChallenge": {"type": "boolean"}, "preferredLocale": {"type": "string"},
        "redirectUrlAfterChallenge": {"type": "string"}}}}}
CONTACT_WRITE = {"type": "object", "properties": {
    "identifiers": IDENTIFIERS,
    "matchIdentifier": {"type": "string"},
    "dataFields": {"type": "object"},
    "channelProperties": {"type": "object", "additionalProperties": False,
                          "properties": {"email": EMAIL_CHANNEL_WRITE, "sms": {"type": "object"},
                                         "whatsApp": {"type": "object"}}},
    "lists": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "integer"}},
    "preferences": {"type": "array", "minItems": 1},
}}
IMPORT_STARTED = {"type": "object", "required": ["importId"], "properties": {"importId": {"type": "string"}}}
V2_ADDRESS_BOOK = {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
    "id": {"type": "integer"}, "name": {"type": "string", "minLength": 1},
    "visibility": {"enum": ["Private", "Public", "NotAvailableInThisVersion"]}, "contacts": {"type": "integer"}}}
V2_CONTACT_STATUS = {"enum": ["Subscribed", "Unsubscribed", "SoftBounced", "HardBounced", "IspComplained",
                              "MailBlocked", "PendingOptIn", "DirectComplaint", "Deleted", "SharedSuppression",
                              "Suppressed", "NotAllowed", "DomainSuppression", "NoMxRecord",
                              "NotAvailableInThisVersion"]}
V2_CONTACT = {"type": "object", "required": ["email"], "additionalProperties": False, "properties": {
    "id": {"type": "integer"}, "email": {"type": "string", "minLength": 1},
    "optInType": {"enum": ["Unknown", "Single", "Double", "VerifiedDouble", "NotAvailableInThisVersion", None]},
    "emailType": {"enum": ["PlainText", "Html", "NotAvailableInThisVersion", None]},
    "dataFields": {"type": ["array", "null"], "items": {"type": "object", "additionalProperties": False,
                                                         "properties": {"key": {"type": ["string", "null"]},
                                                                        "value": {}}}},
    "status": V2_CONTACT_STATUS}}
INSIGHT_RECORD_READ = {"type": "object", "required": ["key", "json"], "properties": {
    "key": {"type": "string"}, "json": {"type": "object"}, "contactIdentity": {"type": "object"}}}
INSIGHT_PAGE = {"type": "object", "required": ["_items", "_links"], "properties": {
    "_links": PAGINATION_LINKS, "_items": {"type": "array", "maxItems": 1000, "items": INSIGHT_RECORD_READ}}}


@dataclass(frozen=True)
class Operation:
    source: str                       # spec file
    operation_id: str                 # its operationId
    method: str
    path: str                         # template, {name} for a path parameter
    query: frozenset[str] = frozenset()
    required_query: frozenset[str] = frozenset()
    body: dict[str, Any] | None = None
    responses: dict[int, dict[str, Any] | None] = field(default_factory=dict)  # None: no JSON body

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.path)) + "$"
        return re.match(pattern, path) is not None


def q(*names: str) -> frozenset[str]:
    return frozenset(names)


OPERATIONS: list[Operation] = [
    Operation(V2, "ApiAccount_GetCurrentAccountInfo", "GET", "/v2/account-info", responses={
        200: {"type": "object", "required": ["properties"], "properties": {
            "id": {"type": "integer"},
            "properties": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": ["string", "null"]}, "type": {"type": ["string", "null"]},
                "value": {"type": ["string", "null"]}}}}}}}),
    Operation(V2, "ApiDataField_GetDataFields", "GET", "/v2/data-fields", responses={
        200: {"type": "array", "items": {"type": "object", "required": ["name"], "additionalProperties": False,
                                         "properties": {"name": {"type": "string", "minLength": 1},
                                                        "type": {"enum": ["String", "Numeric", "Date", "Boolean",
                                                                          "NotAvailableInThisVersion"]},
                                                        "visibility": {"enum": ["Private", "Public",
                                                                                "NotAvailableInThisVersion"]},
                                                        "defaultValue": {}}}}}),
    Operation(V2, "ApiAddressBook_GetAddressBooks", "GET", "/v2/address-books", query=q("select", "skip"),
              responses={200: {"type": "array", "items": V2_ADDRESS_BOOK}}),
    # LISTS create-address-book documents 200 and V2 documents 201 for this call: either is taken.
    Operation(V2, "ApiAddressBook_CreateAddressBook", "POST", "/v2/address-books",
              body={"type": "object", "required": ["name"], "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 128},
                  "visibility": {"enum": ["Private", "Public"]}}},
              responses={200: V2_ADDRESS_BOOK, 201: V2_ADDRESS_BOOK}),
    Operation(V2, "ApiContact_DeleteContactsFromAddressBook", "POST", "/v2/address-books/{addressBookId}/contacts/delete",
              body={"type": "array", "items": {"type": "integer"}},
              responses={202: {"type": "object", "additionalProperties": False, "properties": {
                  "id": {"type": "string"}, "status": {"enum": ["Started", "Completed", "Failed"]}}}}),
    Operation(LISTS, "get-modified-contacts-in-address-book-since-date", "GET",
              "/v2/address-books/{id}/contacts/modified-since/{date}", query=q("withFullData", "select", "skip"),
              responses={200: {"type": "array", "items": V2_CONTACT}}),
    # LISTS get-unsubscribed-contacts-from-address-book-since-date gives its answer as an open
    # object with an example; V2 gives the ApiContactSuppression items used here.
    Operation(V2, "ApiContact_GetUnsubscribedContactsInAddressBook", "GET",
              "/v2/address-books/{addressBookId}/contacts/unsubscribed-since/{date}", query=q("select", "skip"),
              responses={200: {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                          "properties": {"suppressedContact": V2_CONTACT,
                                                                         "dateRemoved": {"type": "string"},
                                                                         "reason": V2_CONTACT_STATUS}}}}),
    Operation(V2, "ApiContact_GetSuppressedContacts", "GET", "/v2/contacts/suppressed-since/{date}",
              query=q("select", "skip"),
              responses={200: {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                          "properties": {"suppressedContact": V2_CONTACT,
                                                                         "dateRemoved": {"type": "string"},
                                                                         "reason": V2_CONTACT_STATUS}}}}),
    Operation(CONTACTS, "getContacts", "GET", "/contacts/v3",
              query=q("data-fields", "include", "~created", "~modified", "~listId", "~segmentId", "limit", "marker"),
              responses={200: {"type": "object", "required": ["_items", "_links"], "properties": {
                  "_links": PAGINATION_LINKS, "_items": {"type": "array", "items": CONTACT}}}, 400: ERROR_V3}),
    Operation(CONTACTS, "importContacts", "PUT", "/contacts/v3/import",
              body={"type": "object", "required": ["contacts"], "properties": {
                  "mergeOption": {"enum": ["overwrite", "overwriteIfNotEmpty", "overwriteIfEmpty"]},
                  "contacts": {"type": "array", "minItems": 1, "items": CONTACT_WRITE}}},
              responses={202: IMPORT_STARTED, 400: ERROR_V3}),
    Operation(CONTACTS, "getImportStatus", "GET", "/contacts/v3/import/{importId}", responses={
        200: {"type": "object", "required": ["importId", "status"], "properties": {
            "importId": {"type": "string"},
            "status": {"enum": ["Finished", "NotFinished", "RejectedByWatchdog", "Failed",
                                "ExceedsAllowedContactLimit"]},
            "summary": {"type": "object"}, "created": {"type": "array"}, "updated": {"type": "array"},
            "failures": {"type": "array"}}},
        404: ERROR_V3}),
    # getContact takes no query parameter (no include: that is getContacts').
    Operation(CONTACTS, "getContact", "GET", "/contacts/v3/{identifier}/{value}",
              responses={200: CONTACT, 404: ERROR_V3}),
    Operation(CONTACTS, "importContact", "PATCH", "/contacts/v3/{identifier}/{value}", query=q("merge-option"),
              body=CONTACT_WRITE, responses={200: CONTACT, 201: CONTACT, 400: ERROR_V3, 409: ERROR_V3}),
    Operation(CONTACTS, "deleteContact", "DELETE", "/contacts/v3/{identifier}/{value}", responses={
        200: {"type": "object", "required": ["contactId"], "properties": {"contactId": {"type": "integer"}}},
        404: ERROR_V3}),
    Operation(INSIGHT, "postCreateInsightDataCollection", "POST", "/insightData/v3/collections/{collectionName}",
              query=q("collectionScope", "collectionType"), required_query=q("collectionScope", "collectionType"),
              responses={200: None, 201: None, 400: ERROR_V3, 412: None}),
    Operation(INSIGHT, "importInsightData", "PUT", "/insightData/v3/import",
              body={"type": "object", "required": ["collectionName", "collectionScope", "collectionType", "records"],
                    "properties": {
                        "collectionName": {"type": "string"}, "collectionScope": {"enum": ["account", "contact"]},
                        "collectionType": {"type": "string"},
                        "records": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["key", "json"], "properties": {
                                "key": {"type": "string"}, "json": {"type": "object"},
                                "contactIdentity": {"type": "object", "required": ["identifier", "value"],
                                                    "properties": {"identifier": {"type": "string"},
                                                                   "value": {"type": "string"}}}}}}}},
              responses={202: IMPORT_STARTED, 400: ERROR_V3}),
    Operation(INSIGHT, "getImportStatus", "GET", "/insightData/v3/import/{importId}", responses={
        200: {"type": "object", "required": ["importId", "status"], "properties": {
            "importId": {"type": "string"}, "status": {"enum": ["NotStarted", "Processing", "Complete", "Failed"]},
            "summary": {"type": "object"}}},
        404: ERROR_V3}),
    Operation(INSIGHT, "getAccountInsightData", "GET", "/insightData/v3/account/{collectionName}",
              query=q("~modified", "limit", "marker"), responses={200: INSIGHT_PAGE, 404: ERROR_V3}),
    Operation(INSIGHT, "getAllContactsInsightData", "GET", "/insightData/v3/contacts/{collectionName}",
              query=q("~modified", "limit", "marker"), responses={200: INSIGHT_PAGE, 404: ERROR_V3}),
    Operation(INSIGHT, "delAccountInsightDataRecord", "DELETE", "/insightData/v3/account/{collectionName}/{recordId}",
              responses={204: None, 404: ERROR_V3}),
    Operation(INSIGHT, "delContactInsightDataRecord", "DELETE",
              "/insightData/v3/contacts/{identifier}/{value}/{collectionName}/{recordId}",
              responses={204: None, 404: ERROR_V3}),
]


def operation_of(method: str, path: str) -> Operation | None:
    # the most specific template first: literal segments beat parameters
    ranked = sorted(OPERATIONS, key=lambda o: o.path.count("{"))
    return next((o for o in ranked if o.matches(method, path)), None)
