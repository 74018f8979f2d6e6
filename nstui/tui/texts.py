"""The seed's own words for each choice the console offers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DirectionText:
    value: str
    label: str
    meaning: str
    master: str
    blanks: str
    #: Where the consent invariant departs from the seed's words (README: Consent invariant).
    consent: str = ""


#: Seed 000, step 5.3.
CAMPAIGN_DIRECTIONS = (
    DirectionText("bronto_to_netsuite", "Bronto to NetSuite",
                  "Updates NetSuite contact data with Bronto contact data, but does not update Bronto contacts "
                  "with NetSuite data.", "Bronto (marketing)", "synced",
                  "an untick in NetSuite still takes the contact off the list."),
    DirectionText("netsuite_to_bronto", "NetSuite to Bronto",
                  "Updates Bronto contact data with NetSuite contact data, but does not update NetSuite contacts "
                  "with Bronto data.", "NetSuite", "synced",
                  "a removal or unsubscribe from the list is never refilled by an older tick."),
    DirectionText("both", "Both Directions",
                  "Latest record update is used: the most recently updated record in one system updates the other "
                  "system with changes to the mapped field.", "the latest change", "synced",
                  "a newer opt-out always wins; an unsubscribe from the list is never undone by an older tick."),
    DirectionText("both_bronto_primary", "Both - Bronto Primary",
                  "Existing Bronto field data overwrites the NetSuite field. NetSuite only writes data to Bronto if "
                  "the Bronto field is empty.", "Bronto (marketing)", "never synced",
                  "an untick or a removal is an opt-out, never an empty field to fill."),
    DirectionText("both_netsuite_primary", "Both - NetSuite Primary",
                  "Existing NetSuite field data overwrites the Bronto field. Bronto only writes data to NetSuite if "
                  "the NetSuite field is empty.", "NetSuite", "never synced",
                  "an untick or a removal is an opt-out, never an empty field to fill."),
)

#: Seed 000, step 6.2.
GLOBAL_DIRECTIONS = (
    DirectionText("bronto_to_netsuite", "Bronto to NetSuite",
                  "The Bronto status is the master record and always overwrites the status in NetSuite; NetSuite "
                  "opt-ins never reset active contacts back to onboarding. Use it if marketing status is not kept "
                  "in NetSuite.", "Bronto (marketing)", "-",
                  "a NetSuite opt-out still unsubscribes the contact in marketing."),
    DirectionText("both", "Both Directions",
                  "Whichever record is most recently modified overwrites the status in the other system. Use it "
                  "with SuiteCommerce Advanced or Site Builder storefronts that update marketing status in NetSuite.",
                  "the latest change", "-",
                  "when both sides changed since the last sync, an opt-out is kept."),
)

LABELS = {d.value: d.label for d in CAMPAIGN_DIRECTIONS}

GUIDANCE = {
    "enable_connection": "Opt-in settings apply during contact imports only when this is on.",
    "direction": "If marketing status is not kept in NetSuite, use Bronto to NetSuite.",
    "soft_opt_in_status": "Onboarding if NetSuite statuses are accurate; otherwise correct them first or pick Unconfirmed.",
    "confirmed_opt_in_status": "Onboarding is recommended: these contacts already opted in via NetSuite.",
    "soft_opt_out_for_unsubscribed": "Write Soft Opt-Out to NetSuite when a contact unsubscribes in marketing.",
    "soft_opt_out_for_bounce": "Write Soft Opt-Out to NetSuite when a contact's address bounces.",
    "add_opt_ins_to_lists": "Contacts with a NetSuite opt-in status are added to these lists.",
    "remove_opt_outs_from_lists": "Contacts with a NetSuite opt-out status are removed from the mapped lists.",
    "source": "Use a field when opt-in/out is kept in a custom checkbox instead of the subscriptions.",
    "source_field": "The custom checkbox (checked = opted in) or list field (the status id) NetSuite has.",
    "datasets": "Opt-in status is synced only for the entities chosen here.",
    "create_missing_contact": "An opt-out of an email NetSuite does not have creates a contact with Soft Opt-Out.",
}

CAN_SPAM = ("Fixed (CAN-SPAM): contacts with Soft Opt-Out or Confirmed Opt-Out in NetSuite are always imported "
            "as unsubscribed. To keep one from it, change their status in NetSuite.")
