"""The subject access pack: everything held about one person, in one ZIP.

- `report.pdf`: a readable report (templates/pdf/subject_access.html, rendered by WeasyPrint like every PDF), with a
  redaction checklist at the front;
- `data.json`: the same data, machine-readable;
- `files/`: copies of the files held: consent evidence and the PDFs of the person's families still on disk.

What is included: the person's own record, addresses and history; every family they belong to, and from those
families whatever is about them or about the family as a whole (a note, goal, section or session about someone
else only is left out); the contacts naming them as a child, and their families' contacts naming no child (a
contact about a child is about that child, someone else: it is left out of a parent's or a sibling's pack); who
has viewed their or their families' records. Every other private individual named (family members, other children,
relatives, members of the public who made a referral) is a third party: flagged wherever their name appears, in the
report and in the JSON, for the officer to redact before the pack is sent. Practitioners acting in their role are
listed separately.

The data is read with a fixed number of queries whatever the size of the record (no query per note or per row).
"""

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from assessments.models import AssessmentSection, EarlyHelpAssessment, Need, Scaling
from assessments.sections import SECTIONS_BY_KEY
from cases.models import (
    Action,
    CaseNote,
    Closure,
    Episode,
    FamilyMember,
    FamilyPlan,
    Goal,
    Intervention,
    InterventionSession,
    Person,
    PersonAddress,
    ProfessionalInvolvement,
    Relationship,
    SupportingFamiliesRegistration,
    TafMeeting,
    TafMember,
    Task,
    Transfer,
)
from consent.models import ConsentRecord, DisclosureLog
from documents.kinds import TEAM_PLANS
from documents.models import DocumentRequest
from earlyhelp.accounts.models import User
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.selectors import history_entries, history_rows
from earlyhelp.core.pdf import html_to_pdf
from referrals.models import ConcernFlag, Contact, ContactSource

PACK_VERSION = "sar-1"

SUBJECT, THIRD_PARTY, PRACTITIONER = "subject", "third_party", "practitioner"
# Contacts from these sources were made by a private individual (a relative, a neighbour, someone else), whose
# name is a third party's; a contact from any other source was made by a professional in their role.
PRIVATE_SOURCES = {ContactSource.FAMILY, ContactSource.ACQUAINTANCE, ContactSource.SELF, ContactSource.OTHER_INDIVIDUAL}
PRACTITIONERS_NOTE = (
    "Practitioners named in the pack were acting in their professional role. Their names are normally not "
    "redacted; consider it only where naming someone would put them at risk."
)
CONNECTIONS_SHOWN = 6


# --- Who is named --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Party:
    """Someone named in the pack: the subject, a third party (flagged for redaction) or a practitioner."""

    name: str
    kind: str
    ref: str = ""
    detail: str = ""
    connections: dict = field(default_factory=dict)  # an ordered set

    @property
    def flagged(self) -> bool:
        return self.kind == THIRD_PARTY

    def connect(self, connection: str) -> "Party":
        if connection:
            self.connections[connection] = None
        return self

    @property
    def connection_list(self) -> list[str]:
        shown = list(self.connections)
        if len(shown) > CONNECTIONS_SHOWN:
            return [*shown[:CONNECTIONS_SHOWN], f"and {len(shown) - CONNECTIONS_SHOWN} more"]
        return shown


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    party: Party


def _words(*parts: str) -> list[str]:
    return [word for part in parts for word in (part or "").split()]


class Names:
    """Everyone the pack names. Structured references (a family member, a note's people, a note's author) are
    registered while the records are read; `freeze` then numbers the third parties and practitioners and compiles
    the pattern that finds their names in free text."""

    def __init__(self, subject: Person):
        self._subject_id = subject.pk
        self.subject = Party(subject.full_name, SUBJECT)
        self._subject_person = subject
        self._people: dict[int, tuple[Party, Person]] = {}
        self._private: dict[str, Party] = {}
        self._users: dict[int, Party] = {}
        self._professionals: dict[str, Party] = {}
        self._pattern: re.Pattern | None = None
        self._variants: dict[str, list[Party]] = {}
        self._spellings: dict[str, set[str]] = {}

    def person(self, person: Person | None, connection: str = "") -> Party | None:
        if person is None:
            return None
        if person.pk == self._subject_id:
            return self.subject
        if person.pk not in self._people:
            self._people[person.pk] = (Party(person.full_name, THIRD_PARTY), person)
        return self._people[person.pk][0].connect(connection)

    def people(self, people: Iterable[Person], connection: str = "") -> list[Party]:
        return [self.person(person, connection) for person in people]

    def private(self, name: str, connection: str = "") -> Party | None:
        """A private individual named in free text fields (a referrer, someone at a meeting with no record)."""
        name = " ".join((name or "").split())
        if not name:
            return None
        key = name.lower()
        if key == " ".join(self.subject.name.lower().split()):
            return self.subject
        for party, _ in self._people.values():
            if party.name.lower() == key:
                return party.connect(connection)
        if key not in self._private:
            self._private[key] = Party(name, THIRD_PARTY)
        return self._private[key].connect(connection)

    def user(self, user: User | None, connection: str = "") -> Party | None:
        if user is None:
            return None
        if user.pk not in self._users:
            self._users[user.pk] = Party(str(user), PRACTITIONER)
        return self._users[user.pk].connect(connection)

    def professional(self, name: str, connection: str = "", detail: str = "") -> Party | None:
        """A practitioner with no account here (an involvement's named worker, a referrer from an agency)."""
        name = " ".join((name or "").split())
        if not name:
            return None
        key = name.lower()
        for party in self._users.values():
            if party.name.lower() == key:
                return party.connect(connection)
        if key not in self._professionals:
            self._professionals[key] = Party(name, PRACTITIONER, detail=detail)
        return self._professionals[key].connect(connection)

    # --- Once every record is read ---

    def freeze(self) -> None:
        """Number everyone (TP1... for third parties, PR1... for practitioners, by name) and compile the pattern of
        every name variant, longest first, so "Sam Green" (a practitioner) is not read as "Sam" (a third party)."""
        details = dict(
            User.objects.filter(pk__in=self._users).values_list("pk", "agency__name").order_by()
        )  # one query for every practitioner's agency
        for pk, party in self._users.items():
            party.detail = details.get(pk) or ""
        for number, party in enumerate(sorted(self.third_parties_unnumbered, key=lambda p: p.name.lower()), 1):
            party.ref = f"TP{number}"
        for number, party in enumerate(sorted(self.practitioners_unnumbered, key=lambda p: p.name.lower()), 1):
            party.ref = f"PR{number}"
        self._build_variants()

    @property
    def third_parties_unnumbered(self) -> list[Party]:
        return [party for party, _ in self._people.values()] + list(self._private.values())

    @property
    def practitioners_unnumbered(self) -> list[Party]:
        return list(self._users.values()) + list(self._professionals.values())

    @property
    def third_parties(self) -> list[Party]:
        return sorted(self.third_parties_unnumbered, key=lambda p: int(p.ref[2:] or 0))

    @property
    def practitioners(self) -> list[Party]:
        return sorted(self.practitioners_unnumbered, key=lambda p: int(p.ref[2:] or 0))

    def _add(self, variant: str, party: Party) -> None:
        variant = " ".join(variant.split())
        if len(variant) < 2:
            return
        parties = self._variants.setdefault(variant.lower(), [])
        if party not in parties:
            parties.append(party)
        self._spellings.setdefault(variant.lower(), set()).update({variant, variant[:1].upper() + variant[1:]})

    def _build_variants(self) -> None:
        subject = self._subject_person
        subject_words = {w.lower() for w in _words(subject.first_name, subject.middle_names, subject.last_name)}
        self._add(subject.full_name, self.subject)
        self._add(f"{subject.first_name} {subject.last_name}", self.subject)
        for word in subject_words:
            self._add(word, self.subject)
        for party in self.practitioners_unnumbered:
            self._add(party.name, party)
        for party, person in self._people.values():
            self._add(person.full_name, party)
            self._add(f"{person.first_name} {person.last_name}", party)
            for alias in re.split(r"[,;/]", person.other_names or ""):
                self._add(alias, party)
            for word in _words(person.first_name, person.last_name):
                if word.lower() not in subject_words:
                    self._add(word, party)
        for party in self._private.values():
            self._add(party.name, party)
            for word in _words(party.name):
                if word.lower() not in subject_words:
                    self._add(word, party)
        alternatives = []
        for variant in sorted(self._variants, key=len, reverse=True):
            words = variant.split()
            if len(words) > 1:  # a full name matches whatever its case and spacing
                alternatives.append("(?i:" + r"\s+".join(re.escape(w) for w in words) + ")")
            else:  # a single name only as written with its capital, so "will" or "rose" in a sentence is not one
                alternatives.extend(re.escape(spelling) for spelling in sorted(self._spellings[variant]))
        if alternatives:
            self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")

    def _party_for(self, text: str) -> Party | None:
        parties = self._variants.get(" ".join(text.split()).lower(), [])
        for kind in (SUBJECT, PRACTITIONER, THIRD_PARTY):
            for party in parties:
                if party.kind == kind:
                    return party
        return None

    def mentions(self, text: str) -> list[Mention]:
        """Third parties' names in free text."""
        if not text or self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(text):
            party = self._party_for(match.group())
            if party is not None and party.flagged:
                party.connect("Named in the text of a record")
                found.append(Mention(match.start(), match.end(), match.group(), party))
        return found


# --- Records and their rendering -----------------------------------------------------------------------------


@dataclass
class Record:
    title: str
    fields: list[tuple[str, str, object]]  # (json key, label, value)


@dataclass
class Section:
    key: str
    title: str
    intro: str
    records: list[Record]
    table: bool = False  # many short rows: shown as a table

    @property
    def columns(self) -> list[str]:
        return [label for _, label, _ in self.records[0].fields] if self.records else []


def _flag_html(text: str, party: Party) -> SafeString:
    return format_html(
        '<mark class="third-party">{}<span class="third-party-label"> [third party {}]</span></mark>', text, party.ref
    )


def _party_html(party: Party) -> SafeString:
    return _flag_html(party.name, party) if party.flagged else escape(party.name)


def _text_html(text: str, names: Names) -> SafeString:
    parts, position = [], 0
    for mention in names.mentions(text):
        parts.append(text[position : mention.start])
        parts.append(_flag_html(mention.text, mention.party))
        position = mention.end
    parts.append(text[position:])
    html = format_html_join("", "{}", ((part,) for part in parts))  # plain text escaped, the marks kept
    return format_html('<span class="preserve">{}</span>', html) if "\n" in text else html


def _shown(value) -> bool:
    return value not in (None, "", [])


def value_html(value, names: Names) -> SafeString:
    """A field's value for the report: escaped, with third parties' names marked."""
    if value is None:
        return escape("")
    if isinstance(value, Party):
        return _party_html(value)
    if isinstance(value, bool):
        return escape("Yes" if value else "No")
    if isinstance(value, datetime):
        return escape(date_format(timezone.localtime(value), "j F Y, H:i"))
    if isinstance(value, date):
        return escape(date_format(value, "j F Y"))
    if isinstance(value, list) and value and isinstance(value[0], Record):
        return format_html_join("", "{}", ((record_html(record, names),) for record in value))
    if isinstance(value, list):
        return format_html_join(", ", "{}", ((value_html(item, names),) for item in value))
    return _text_html(str(value), names)


def record_html(record: Record, names: Names) -> SafeString:
    """A sub-record (a goal in a plan, a session of an intervention) as a nested block."""
    rows = format_html_join(
        "",
        "<div><dt>{}</dt><dd>{}</dd></div>",
        ((label, value_html(value, names)) for _, label, value in record.fields if _shown(value)),
    )
    return format_html(
        '<div class="sub"><p class="sub-title">{}</p><dl class="summary">{}</dl></div>', record.title, rows
    )


def value_json(value, names: "Names | None" = None):
    if isinstance(value, Party):
        data = {"name": value.name, "role": value.kind}
        return data | ({"redaction_ref": value.ref} if value.ref else {})
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [record_json(item, names) if isinstance(item, Record) else value_json(item, names) for item in value]
    return value


def record_json(record: Record, names: "Names | None") -> dict:
    """A record as a dict of its fields; free text naming a third party carries `third_party_mentions`."""
    data = {"title": record.title}
    mentions = []
    for key, _, value in record.fields:
        data[key] = value_json(value, names)
        if isinstance(value, str) and names is not None:
            mentions.extend(
                {"field": key, "start": m.start, "end": m.end, "text": m.text, "redaction_ref": m.party.ref}
                for m in names.mentions(value)
            )
    if mentions:
        data["third_party_mentions"] = mentions
    return data


# --- Reading everything held ---------------------------------------------------------------------------------


@dataclass
class PackFile:
    path: str  # inside the ZIP
    what: str
    family: str
    field_file: object  # a FieldFile
    made_at: datetime | None


@dataclass
class Pack:
    subject: Person
    names: Names
    sections: list[Section]
    files: list[PackFile]
    families: list

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


def _display(record, name: str) -> str:
    return getattr(record, f"get_{name}_display")()


def _person_section(person: Person, names: Names) -> Section:
    fields = [
        ("name", "Name", names.subject),
        ("other_names", "Other names", person.other_names),
        ("date_of_birth", "Date of birth", person.date_of_birth),
        ("expected_date_of_birth", "Expected date of birth", person.expected_date_of_birth),
        ("sex", "Sex", _display(person, "sex")),
        ("ethnicity", "Ethnicity", _display(person, "ethnicity")),
        ("first_language", "First language", person.first_language),
        ("interpreter_needed", "Interpreter needed", person.interpreter_needed),
        ("disability", "Disability", person.disability),
        ("sen_status", "Special educational needs", _display(person, "sen_status")),
        ("school", "School or setting", str(person.school or "")),
        ("gp_practice", "GP practice", str(person.gp_practice or "")),
        ("nhs_number", "NHS number", person.nhs_number),
        ("upn", "Unique pupil number", person.upn),
        ("deceased_on", "Date of death", person.deceased_on),
        ("restricted", "Record restricted", person.restricted),
        ("created_at", "Record created", person.created_at),
        ("updated_at", "Record last changed", person.updated_at),
    ]
    return Section("person", "Personal details", "The person's own record.", [Record(person.full_name, fields)])


def _address_section(person: Person) -> Section:
    records = [
        Record(
            "Current address" if address.moved_out is None else "Previous address",
            [
                ("address_line_1", "Address line 1", address.address_line_1),
                ("address_line_2", "Address line 2", address.address_line_2),
                ("town", "Town", address.town),
                ("postcode", "Postcode", address.postcode),
                ("moved_in", "Moved in", address.moved_in),
                ("moved_out", "Moved out", address.moved_out),
            ],
        )
        for address in PersonAddress.objects.filter(person=person).order_by("-moved_in", "-id")
    ]
    return Section("addresses", "Addresses", "Where the person has lived, as recorded.", records)


def _family_label(family) -> str:
    return f"{family.name} family ({family.reference})"


def _membership_section(memberships, co_members, names: Names) -> Section:
    others: dict[int, list] = {}
    for member in co_members:
        others.setdefault(member.family_id, []).append(member)
    records = []
    for membership in memberships:
        family = membership.family
        connection = f"Member of the {_family_label(family)}"
        records.append(
            Record(
                _family_label(family),
                [
                    ("family_reference", "Family reference", family.reference),
                    ("family_name", "Family name", family.name),
                    (
                        "family_address",
                        "Family address",
                        ", ".join(
                            p for p in (family.address_line_1, family.address_line_2, family.town, family.postcode) if p
                        ),
                    ),
                    ("local_area_team", "Local Area Team", str(family.local_area_team)),
                    ("family_status", "Family record", family.get_status_display()),
                    ("role", "Role in the family", membership.get_role_display()),
                    ("in_household", "Lives in the household", membership.in_household),
                    ("parental_responsibility", "Parental responsibility", membership.parental_responsibility),
                    ("main_carer", "Main carer", membership.main_carer),
                    (
                        "other_members",
                        "Other members of the family",
                        [
                            names.person(m.person, f"{connection} ({m.get_role_display()})")
                            for m in others.get(family.pk, [])
                            if m.person_id != membership.person_id
                        ],
                    ),
                ],
            )
        )
    return Section(
        "family_memberships", "Families", "Each family the person belongs to, and who else is in it.", records
    )


def _relationship_section(person: Person, names: Names) -> Section:
    relationships = Relationship.objects.filter(Q(person=person) | Q(relative=person)).select_related(
        "person", "relative", "family"
    )
    records = [
        Record(
            f"{relationship.get_kind_display()} ({relationship.family.reference})",
            [
                ("person", "Who", names.person(relationship.person, "Named in a relationship")),
                ("kind", "Is the", relationship.get_kind_display().lower()),
                ("relative", "Of", names.person(relationship.relative, "Named in a relationship")),
                ("family", "Recorded in", _family_label(relationship.family)),
            ],
        )
        for relationship in relationships.order_by("id")
    ]
    return Section("relationships", "Relationships", "How the person is related to others, as recorded.", records)


def _involvement_section(person: Person, families, names: Names) -> Section:
    involvements = (
        ProfessionalInvolvement.objects.filter(family__in=families)
        .filter(Q(person=person) | Q(person__isnull=True))
        .select_related("agency", "family", "person")
        .order_by("family__reference", "-started_on", "id")
    )
    records = [
        Record(
            str(involvement.agency),
            [
                ("family", "Family", _family_label(involvement.family)),
                ("concerns", "With", names.person(involvement.person) or "The whole family"),
                ("agency", "Agency", str(involvement.agency)),
                (
                    "practitioner",
                    "Practitioner",
                    names.professional(
                        involvement.practitioner_name, "Involved with the family", involvement.practitioner_role
                    ),
                ),
                ("practitioner_role", "Role", involvement.practitioner_role),
                ("contact_details", "Contact details", involvement.contact_details),
                ("started_on", "Started", involvement.started_on),
                ("ended_on", "Ended", involvement.ended_on),
            ],
        )
        for involvement in involvements
    ]
    return Section(
        "professional_involvements",
        "Professionals involved",
        "Agencies and practitioners working with the person or their whole family.",
        records,
    )


def _referrer(contact: Contact, names: Names):
    if contact.referrer_kind == Contact.ReferrerKind.ANONYMOUS:
        return "Anonymous"
    if contact.referrer_user_id:
        return names.user(contact.referrer_user, "Made a referral")
    if contact.source in PRIVATE_SOURCES:
        return names.private(contact.referrer_name, "Made a referral (a private individual)")
    detail = ", ".join(p for p in (contact.referrer_role, contact.referrer_organisation) if p)
    return names.professional(contact.referrer_name, "Made a referral", detail)


def _contact_section(person: Person, families, names: Names) -> Section:
    contacts = (
        Contact.objects.filter(Q(children__person=person) | Q(family__in=families, children__isnull=True))
        .distinct()
        .select_related(
            "family", "referrer_user", "recorded_by", "assigned_to", "local_area_team", "decision__decided_by"
        )
        .prefetch_related("children__person", "ratings__rated_by")
        .order_by("received_at", "id")
    )
    records = []
    for contact in contacts:
        decision = getattr(contact, "decision", None)
        ratings = [
            Record(
                f"{rating.get_rag_display()} on {date_format(timezone.localtime(rating.created_at), 'j F Y')}",
                [
                    ("rag", "Rating", rating.get_rag_display()),
                    ("reason", "Reason", rating.reason),
                    ("rated_by", "Rated by", names.user(rating.rated_by, "Rated a contact")),
                ],
            )
            for rating in contact.ratings.all()
        ]
        records.append(
            Record(
                f"Contact {contact.reference}",
                [
                    ("reference", "Reference", contact.reference),
                    ("received_at", "Received", contact.received_at),
                    ("channel", "How it came", contact.get_channel_display()),
                    ("referrer", "Referred by", _referrer(contact, names)),
                    ("source", "Source", contact.get_source_display()),
                    ("family", "Family", _family_label(contact.family) if contact.family else ""),
                    (
                        "children",
                        "Children it is about",
                        [
                            names.person(child.person, "Named in a contact to the MASH")
                            for child in contact.children.all()
                        ],
                    ),
                    ("concern", "The concern", contact.concern),
                    ("family_aware", "Did the family know", contact.get_family_aware_display()),
                    ("consent_status", "Consent to the referral", contact.get_consent_status_display()),
                    ("consent_reason", "Why consent was refused or not sought", contact.consent_reason),
                    ("status", "Status", contact.get_status_display()),
                    ("rag", "RAG rating", contact.get_rag_display() if contact.rag else ""),
                    ("checks_made", "Checks made", ", ".join(contact.checks_made)),
                    ("information_gathered", "Information gathered", contact.information_gathered),
                    ("ended_reason", "Why it was withdrawn or a duplicate", contact.ended_reason),
                    ("recorded_by", "Recorded by", names.user(contact.recorded_by, "Recorded a contact")),
                    ("ratings", "RAG ratings", ratings),
                    ("decision_outcome", "MASH decision", decision.get_outcome_display() if decision else ""),
                    ("decision_level", "Level of need", decision.get_level_display() if decision else ""),
                    ("decision_rationale", "Why", decision.rationale if decision else ""),
                    ("decision_next_steps", "Next steps", decision.next_steps if decision else ""),
                    (
                        "decided_by",
                        "Decided by",
                        names.user(decision.decided_by, "Decided a contact") if decision else None,
                    ),
                    ("decided_at", "Decided", decision.decided_at if decision else None),
                ],
            )
        )
    return Section(
        "contacts",
        "Contacts and referrals",
        "Concerns received by the Multi-Agency Safeguarding Hub naming the person, or about their families with no "
        "child named.",
        records,
    )


def _concern_flag_section(person: Person, names: Names) -> Section:
    flags = ConcernFlag.objects.filter(person=person).select_related("agency", "raised_by").order_by("raised_on", "id")
    records = [
        Record(
            flag.get_category_display(),
            [
                ("category", "Concern", flag.get_category_display()),
                ("agency", "Agency", str(flag.agency)),
                ("raised_on", "Raised", flag.raised_on),
                ("raised_by", "Raised by", names.user(flag.raised_by, "Raised a concern flag")),
            ],
        )
        for flag in flags
    ]
    return Section("concern_flags", "Concern flags", "Agencies' flags of worry about the person.", records)


def _episode_sections(families, names: Names) -> list[Section]:
    episodes = (
        Episode.objects.filter(family__in=families)
        .select_related("family", "local_area_team", "lead_practitioner", "lead_agency")
        .order_by("requested_at", "id")
    )
    episode_records = [
        Record(
            f"{episode.get_pathway_display()}, {_family_label(episode.family)}",
            [
                ("family", "Family", _family_label(episode.family)),
                ("pathway", "Pathway", episode.get_pathway_display()),
                ("route", "Route", episode.get_route_display()),
                ("level", "Level of need", episode.get_level_display()),
                ("status", "Status", episode.get_status_display()),
                ("local_area_team", "Local Area Team", str(episode.local_area_team)),
                ("lead_practitioner", "Lead practitioner", names.user(episode.lead_practitioner, "Lead practitioner")),
                ("lead_agency", "Lead agency", str(episode.lead_agency or "")),
                ("requested_at", "Requested", episode.requested_at),
                ("allocated_at", "Allocated", episode.allocated_at),
                ("closed_at", "Closed", episode.closed_at),
                ("reopened_at", "Reopened", episode.reopened_at),
                ("reopen_reason", "Why it was reopened", episode.reopen_reason),
            ],
        )
        for episode in episodes
    ]
    closures = (
        Closure.objects.filter(family__in=families)
        .select_related("family", "requested_by", "decided_by")
        .order_by("created_at", "id")
    )
    closure_records = [
        Record(
            f"Closure, {_family_label(closure.family)}",
            [
                ("family", "Family", _family_label(closure.family)),
                ("reason", "Reason", closure.get_reason_display()),
                ("reason_detail", "More about the reason", closure.reason_detail),
                ("summary", "What changed", closure.summary),
                ("satisfaction", "Family's satisfaction (1 to 5)", closure.satisfaction),
                ("made_difference", "Did the help make a difference", closure.get_made_difference_display()),
                ("family_comments", "The family's comments", closure.family_comments),
                ("status", "Status", closure.get_status_display()),
                ("requested_by", "Asked for by", names.user(closure.requested_by, "Asked to close early help")),
                ("decided_by", "Decided by", names.user(closure.decided_by, "Decided a closure")),
                ("decided_at", "Decided", closure.decided_at),
                ("refusal_reason", "Why it was refused", closure.refusal_reason),
            ],
        )
        for closure in closures
    ]
    transfers = Transfer.objects.filter(family__in=families).select_related("family", "created_by").order_by("id")
    transfer_records = [
        Record(
            f"{transfer.get_direction_display()}, {_family_label(transfer.family)}",
            [
                ("family", "Family", _family_label(transfer.family)),
                ("direction", "Direction", transfer.get_direction_display()),
                ("kind", "Kind", transfer.get_kind_display()),
                ("reason", "Why", transfer.reason),
                ("external_reference", "Children's social care reference", transfer.external_reference),
                ("social_care_outcome", "Outcome", transfer.get_social_care_outcome_display()),
                ("outcome_on", "Outcome date", transfer.outcome_on),
                ("created_by", "Recorded by", names.user(transfer.created_by, "Recorded a step-up or step-down")),
                ("created_at", "Recorded", transfer.created_at),
            ],
        )
        for transfer in transfers
    ]
    return [
        Section("episodes", "Early help", "Each period of early help for the person's families.", episode_records),
        Section("closures", "Closures", "How and why early help ended.", closure_records),
        Section("transfers", "Steps up and down", "Moves to and from children's social care.", transfer_records),
    ]


def _answers(section: AssessmentSection) -> str:
    spec = SECTIONS_BY_KEY.get(section.key)
    labels = {q.name: q.label for q in spec.questions} if spec else {}
    lines = []
    for name, answer in (section.answers or {}).items():
        if answer in (None, ""):
            continue
        if isinstance(answer, bool):
            answer = "Yes" if answer else "No"
        lines.append(f"{labels.get(name, name)}\n{answer}")
    return "\n\n".join(lines)


def _assessment_section(person: Person, families, names: Names) -> Section:
    about = Q(person=person) | Q(person__isnull=True)
    assessments = (
        EarlyHelpAssessment.objects.filter(family__in=families)
        .select_related("family", "assessor", "organisation", "decided_by")
        .prefetch_related(
            "subjects__person",
            Prefetch("sections", queryset=AssessmentSection.objects.filter(about).select_related("person")),
            Prefetch("scalings", queryset=Scaling.objects.filter(about).select_related("person")),
            Prefetch("needs", queryset=Need.objects.filter(about).select_related("person")),
        )
        .order_by("family__reference", "version")
    )
    records = []
    for assessment in assessments:
        sections = [
            Record(
                SECTIONS_BY_KEY[s.key].title if s.key in SECTIONS_BY_KEY else s.key,
                [
                    ("about", "About", names.person(s.person) or "The whole family"),
                    ("status", "Status", s.get_status_display()),
                    ("answers", "Answers", _answers(s)),
                ],
            )
            for s in assessment.sections.all()
        ]
        scalings = [
            Record(
                f"Scaling by {scaling.participant}",
                [
                    ("participant", "Who", names.person(scaling.person) or "The practitioner"),
                    ("score", "Score (0 to 10)", scaling.score),
                    ("note", "Note", scaling.note),
                ],
            )
            for scaling in assessment.scalings.all()
        ]
        needs = [
            Record(
                need.get_headline_display(),
                [
                    ("about", "About", names.person(need.person) or "The whole family"),
                    ("headline", "Headline", need.get_headline_display()),
                    ("description", "Description", need.description),
                ],
            )
            for need in assessment.needs.all()
        ]
        subjects = names.people((s.person for s in assessment.subjects.all()), "A subject of an assessment")
        records.append(
            Record(
                f"Early Help Assessment {assessment.version}, {_family_label(assessment.family)}",
                [
                    ("family", "Family", _family_label(assessment.family)),
                    ("version", "Version", assessment.version),
                    ("status", "Status", assessment.get_status_display()),
                    ("assessor", "Assessor", names.user(assessment.assessor, "Assessor")),
                    ("organisation", "Organisation", str(assessment.organisation or "")),
                    ("subjects", "Who it is about", subjects),
                    ("started_on", "Started", assessment.started_on),
                    ("completed_on", "Completed", assessment.completed_on),
                    ("level_of_need", "Level of need", assessment.get_level_of_need_display() or ""),
                    ("pathway", "Pathway", assessment.get_pathway_display()),
                    ("analysis", "Analysis", assessment.analysis),
                    ("return_comments", "Comments when returned", assessment.return_comments),
                    (
                        "decided_by",
                        "Authorised or returned by",
                        names.user(assessment.decided_by, "Decided an assessment"),
                    ),
                    ("decided_at", "Decided", assessment.decided_at),
                    ("sections", "Sections about the person or the whole family", sections),
                    ("scalings", "Scaling", scalings),
                    ("needs", "Needs identified", needs),
                ],
            )
        )
    return Section(
        "assessments",
        "Assessments",
        "Early Help Assessments of the person's families: the sections about the person or the whole family (sections "
        "about another child only are left out), scaling and needs.",
        records,
    )


def _plan_section(person: Person, families, names: Names) -> Section:
    goals = Goal.objects.filter(Q(person=person) | Q(person__isnull=True)).select_related("person", "need")
    plans = (
        FamilyPlan.objects.filter(family__in=families)
        .select_related("family", "created_by", "agreed_by")
        .prefetch_related(
            Prefetch("goals", queryset=goals.prefetch_related("scores__recorded_by")),
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("owner_user", "owner_agency", "owner_person", "goal"),
            ),
        )
        .order_by("family__reference", "episode_id", "version")
    )
    records = []
    for plan in plans:
        goal_ids = {goal.pk for goal in plan.goals.all()}
        goal_records = [
            Record(
                f"Goal {number}",
                [
                    ("goal", "Goal", goal.text),
                    ("for_whom", "For", names.person(goal.person) or "The whole family"),
                    ("need", "Need from the assessment", str(goal.need or "")),
                    ("baseline", "Scale at the start", goal.baseline),
                    ("target", "Target", goal.target),
                    ("latest", "Latest", goal.latest),
                    ("status", "Status", goal.get_status_display()),
                    (
                        "scores",
                        "Scaling history",
                        [
                            Record(
                                f"{score.score} on {date_format(score.scored_on, 'j F Y')}",
                                [
                                    ("score", "Score", score.score),
                                    ("scored_on", "Date", score.scored_on),
                                    ("comment", "Comment", score.comment),
                                    ("recorded_by", "Recorded by", names.user(score.recorded_by, "Scaled a goal")),
                                ],
                            )
                            for score in goal.scores.all()
                        ],
                    ),
                ],
            )
            for number, goal in enumerate(plan.goals.all(), 1)
        ]
        # An action for a goal about someone else only is left out with its goal.
        actions = [action for action in plan.actions.all() if action.goal_id is None or action.goal_id in goal_ids]
        action_records = [
            Record(
                f"Action due {date_format(action.due_on, 'j F Y')}",
                [
                    ("what", "What will be done", action.what),
                    (
                        "owner",
                        "By",
                        names.person(action.owner_person, "Owns an action in a plan")
                        or names.user(action.owner_user, "Owns an action in a plan")
                        or str(action.owner_agency or ""),
                    ),
                    ("due_on", "Due", action.due_on),
                    ("status", "Status", action.get_status_display()),
                    ("completed_on", "Completed", action.completed_on),
                ],
            )
            for action in actions
        ]
        records.append(
            Record(
                f"Plan version {plan.version}, {_family_label(plan.family)}",
                [
                    ("family", "Family", _family_label(plan.family)),
                    ("version", "Version", plan.version),
                    ("status", "Status", plan.get_status_display()),
                    ("summary", "What needs to happen", plan.summary),
                    ("created_by", "Written by", names.user(plan.created_by, "Wrote a plan")),
                    ("agreed_on", "Agreed", plan.agreed_on),
                    ("agreed_by", "Agreed by", names.user(plan.agreed_by, "Agreed a plan")),
                    ("family_agreed", "The family agreed", plan.family_agreed),
                    ("goals", "Goals for the person or the whole family", goal_records),
                    ("actions", "Actions", action_records),
                ],
            )
        )
    return Section(
        "plans",
        "Plans, goals and actions",
        "Every version of the families' plans: goals for the person or the whole family, and the actions for them "
        "(goals and actions for someone else only are left out).",
        records,
    )


def _taf_sections(families, names: Names) -> list[Section]:
    members = TafMember.objects.filter(family__in=families).select_related("family", "user", "agency").order_by("id")
    member_records = [
        Record(
            f"{member.user} ({member.role})",
            [
                ("family", "Family", _family_label(member.family)),
                ("practitioner", "Practitioner", names.user(member.user, "Member of a Team Around the Family")),
                ("role", "Role", member.role),
                ("agency", "Agency", str(member.agency or "")),
                ("status", "Status", member.get_status_display()),
                ("joined", "Joined", member.created_at),
                ("left_on", "Left", member.left_on),
            ],
        )
        for member in members
    ]
    meetings = (
        TafMeeting.objects.filter(family__in=families)
        .select_related("family", "recorded_by")
        .prefetch_related("attendances__user", "attendances__person")
        .order_by("held_on", "due_on", "id")
    )
    meeting_records = []
    for meeting in meetings:
        attendances = [
            Record(
                attendance.get_attended_display(),
                [
                    (
                        "who",
                        "Who",
                        names.person(attendance.person, "Invited to a TAF meeting")
                        or names.user(attendance.user, "Invited to a TAF meeting")
                        or names.private(attendance.name, "Invited to a TAF meeting"),
                    ),
                    ("attended", "Attended", attendance.get_attended_display()),
                ],
            )
            for attendance in meeting.attendances.all()
        ]
        meeting_records.append(
            Record(
                f"{meeting}, {_family_label(meeting.family)}",
                [
                    ("family", "Family", _family_label(meeting.family)),
                    ("kind", "Meeting", meeting.get_kind_display()),
                    ("status", "Status", meeting.get_status_display()),
                    ("due_on", "Due", meeting.due_on),
                    ("held_on", "Held", meeting.held_on),
                    ("family_present", "The family was there", meeting.family_present),
                    ("result", "Result", meeting.get_result_display()),
                    ("decision", "Decision", meeting.get_decision_display()),
                    ("notes", "Notes", meeting.notes),
                    ("next_review_due", "Next review due", meeting.next_review_due),
                    ("recorded_by", "Recorded by", names.user(meeting.recorded_by, "Recorded a TAF meeting")),
                    ("attendances", "Invited", attendances),
                ],
            )
        )
    return [
        Section("taf_members", "Team Around the Family", "Practitioners in the families' teams.", member_records),
        Section("taf_meetings", "Team Around the Family meetings", "Meetings and who came.", meeting_records),
    ]


def _intervention_section(person: Person, families, names: Names) -> Section:
    sessions = InterventionSession.objects.filter(Q(people_seen=person) | Q(people_seen__isnull=True)).distinct()
    interventions = (
        Intervention.objects.filter(family__in=families)
        .select_related("family", "worker")
        .prefetch_related(
            Prefetch("sessions", queryset=sessions.select_related("recorded_by").prefetch_related("people_seen")),
            "extensions__requested_by",
            "extensions__decided_by",
        )
        .order_by("started_on", "id")
    )
    records = []
    for intervention in interventions:
        session_records = [
            Record(
                f"{session.get_kind_display()} on {date_format(session.held_on, 'j F Y')}",
                [
                    ("held_on", "Date", session.held_on),
                    ("kind", "Kind", session.get_kind_display()),
                    ("people_seen", "Who was seen", names.people(session.people_seen.all(), "Seen at a session")),
                    ("child_seen_alone", "A child was seen alone", session.child_seen_alone),
                    ("notes", "Notes", session.notes),
                    ("recorded_by", "Recorded by", names.user(session.recorded_by, "Recorded a session")),
                ],
            )
            for session in intervention.sessions.all()
        ]
        extension_records = [
            Record(
                f"Extension to {date_format(extension.new_end_on, 'j F Y')}",
                [
                    ("new_end_on", "New end date", extension.new_end_on),
                    ("reason", "Why", extension.reason),
                    ("status", "Status", extension.get_status_display()),
                    ("requested_by", "Asked for by", names.user(extension.requested_by, "Asked for an extension")),
                    ("decided_by", "Decided by", names.user(extension.decided_by, "Decided an extension")),
                    ("decision_reason", "Reason for the decision", extension.decision_reason),
                ],
            )
            for extension in intervention.extensions.all()
        ]
        records.append(
            Record(
                f"{intervention}, {_family_label(intervention.family)}",
                [
                    ("family", "Family", _family_label(intervention.family)),
                    ("kind", "Support", intervention.get_kind_display()),
                    ("worker", "Worker", names.user(intervention.worker, "Worker on an intervention")),
                    ("aims", "Aims", intervention.aims),
                    ("started_on", "Started", intervention.started_on),
                    ("planned_end_on", "Planned end", intervention.planned_end_on),
                    ("ended_on", "Ended", intervention.ended_on),
                    ("status", "Status", intervention.get_status_display()),
                    ("outcome", "Outcome", intervention.outcome),
                    ("sessions", "Sessions seeing the person, or with no one recorded", session_records),
                    ("extensions", "Extensions", extension_records),
                ],
            )
        )
    return Section(
        "interventions",
        "Interventions",
        "Targeted support for the families, and the sessions where the person was seen (sessions seeing only "
        "others are left out).",
        records,
    )


def _note_section(person: Person, families, names: Names) -> Section:
    notes = (
        CaseNote.objects.filter(family__in=families)
        .filter(Q(people=person) | Q(people__isnull=True))
        .distinct()
        .select_related("family", "author")
        .prefetch_related("people", "amendments__author")
        .order_by("happened_on", "created_at", "id")
    )
    records = []
    for note in notes:
        about = names.people(note.people.all(), "Named on a case note")
        amendments = [
            Record(
                f"Amendment on {date_format(timezone.localtime(amendment.created_at), 'j F Y')}",
                [
                    ("text", "Amendment", amendment.text),
                    ("reason", "Why", amendment.reason),
                    ("author", "By", names.user(amendment.author, "Amended a case note")),
                    ("created_at", "Written", amendment.created_at),
                ],
            )
            for amendment in note.amendments.all()
        ]
        records.append(
            Record(
                f"{note}, {_family_label(note.family)}",
                [
                    ("family", "Family", _family_label(note.family)),
                    ("kind", "Type", note.get_kind_display()),
                    ("happened_on", "Date", note.happened_on),
                    ("about", "About", about or "The whole family"),
                    ("child_seen", "A child was seen", note.child_seen),
                    ("child_seen_alone", "A child was seen alone", note.child_seen_alone),
                    ("significant", "Significant event", note.significant),
                    ("text", "Note", note.text),
                    ("author", "Written by", names.user(note.author, "Wrote a case note")),
                    ("created_at", "Written", note.created_at),
                    ("amendments", "Amendments", amendments),
                ],
            )
        )
    return Section(
        "case_notes",
        "Case notes",
        "Notes about the person, and notes about the whole family (notes about other people only are left out).",
        records,
    )


def _consent_section(families, names: Names) -> tuple[Section, list[PackFile]]:
    consents = (
        ConsentRecord.objects.filter(family__in=families)
        .select_related("family", "given_by", "obtained_by", "approved_by", "privacy_notice")
        .prefetch_related("subjects__person", "shares__agency")
        .order_by("obtained_on", "id")
    )
    records, files = [], []
    for consent in consents:
        evidence = ""
        if consent.evidence:
            extension = consent.evidence.name.rsplit(".", 1)[-1] if "." in consent.evidence.name else "bin"
            evidence = f"files/consent-evidence/{consent.obtained_on:%Y-%m-%d}-{str(consent.uuid)[:8]}.{extension}"
            files.append(
                PackFile(
                    evidence, "Evidence of consent", consent.family.reference, consent.evidence, consent.created_at
                )
            )
        shares = [
            str(share.agency) if share.agency_id else share.get_agency_type_display() for share in consent.shares.all()
        ]
        records.append(
            Record(
                f"{consent}, {_family_label(consent.family)}",
                [
                    ("family", "Family", _family_label(consent.family)),
                    ("status", "Status", consent.get_status_display()),
                    ("given_by", "Given by", names.person(consent.given_by, "Gave consent")),
                    ("giver_kind", "As", consent.get_giver_kind_display()),
                    ("competence_judgement", "Why the young person could decide", consent.competence_judgement),
                    (
                        "covers",
                        "Who it covers",
                        names.people((s.person for s in consent.subjects.all()), "Covered by a consent"),
                    ),
                    ("engage", "To engage in early help", consent.engage),
                    ("store", "To store information here", consent.store),
                    ("data_matching", "To Supporting Families data matching", consent.data_matching),
                    ("shares", "Who may receive information", ", ".join(shares)),
                    ("method", "How it was given", consent.get_method_display()),
                    ("obtained_by", "Recorded by", names.user(consent.obtained_by, "Recorded consent")),
                    ("obtained_on", "Recorded", consent.obtained_on),
                    ("review_on", "Review due", consent.review_on),
                    ("privacy_notice", "Privacy notice", str(consent.privacy_notice or "")),
                    ("override_reason", "Safeguarding override", consent.get_override_reason_display()),
                    ("override_detail", "Why", consent.override_detail),
                    ("approved_by", "Override approved by", names.user(consent.approved_by, "Approved an override")),
                    ("ended_on", "Ended", consent.ended_on),
                    ("ended_reason", "Why it ended", consent.ended_reason),
                    ("evidence", "Evidence (file in this pack)", evidence),
                ],
            )
        )
    return Section("consents", "Consent", "What the families agreed to, and any safeguarding override.", records), files


def _disclosure_section(families, names: Names) -> Section:
    disclosures = (
        DisclosureLog.objects.filter(family__in=families)
        .select_related("family", "recipient_agency", "recipient_user", "disclosed_by")
        .order_by("disclosed_at", "id")
    )
    records = [
        Record(
            disclosure.what,
            [
                ("disclosed_at", "When", disclosure.disclosed_at),
                ("family", "Family", disclosure.family.reference),
                ("what", "What", disclosure.what),
                (
                    "recipient",
                    "To",
                    names.user(disclosure.recipient_user, "Received information")
                    or str(disclosure.recipient_agency or "The MASH"),
                ),
                ("recipient_agency", "Agency", str(disclosure.recipient_agency or "")),
                ("basis", "Basis", disclosure.get_basis_display()),
                ("disclosed_by", "By", names.user(disclosure.disclosed_by, "Disclosed information")),
            ],
        )
        for disclosure in disclosures
    ]
    return Section(
        "disclosures",
        "Disclosures",
        "Each time the families' information was shared outside the team.",
        records,
        table=True,
    )


def _supporting_families_section(families, names: Names) -> Section:
    registrations = (
        SupportingFamiliesRegistration.objects.filter(family__in=families)
        .select_related("family", "lead_practitioner", "registered_by", "validated_by")
        .prefetch_related("needs__recorded_by")
        .order_by("registered_on", "id")
    )
    records = []
    for registration in registrations:
        needs = [
            Record(
                need.get_headline_display(),
                [
                    ("headline", "Headline", need.get_headline_display()),
                    ("evidence", "Evidence", need.evidence),
                    ("identified_on", "Identified", need.identified_on),
                    ("achieved_on", "Resolved", need.achieved_on),
                    ("outcome_evidence", "Evidence of the outcome", need.outcome_evidence),
                    ("sustained", "Still resolved six months later", need.sustained),
                    ("sustained_checked_on", "Checked", need.sustained_checked_on),
                    ("recorded_by", "Recorded by", names.user(need.recorded_by, "Recorded a Supporting Families need")),
                ],
            )
            for need in registration.needs.all()
        ]
        records.append(
            Record(
                f"Supporting Families, {_family_label(registration.family)}",
                [
                    ("family", "Family", _family_label(registration.family)),
                    ("status", "Status", registration.get_status_display()),
                    ("registered_on", "Registered", registration.registered_on),
                    ("registered_by", "Registered by", names.user(registration.registered_by, "Registered a family")),
                    (
                        "lead_practitioner",
                        "Lead practitioner",
                        names.user(registration.lead_practitioner, "Lead practitioner"),
                    ),
                    ("closed_on", "Closed", registration.closed_on),
                    ("sustain_until", "Sustained until", registration.sustain_until),
                    ("claim_reference", "Claim reference", registration.claim_reference),
                    ("validated_by", "Validated by", names.user(registration.validated_by, "Validated a claim")),
                    ("validated_on", "Validated", registration.validated_on),
                    ("claimed_on", "Claimed", registration.claimed_on),
                    ("notes", "Notes", registration.notes),
                    ("needs", "Needs", needs),
                ],
            )
        )
    return Section(
        "supporting_families", "Supporting Families", "The families' registrations with the programme.", records
    )


def _task_section(families, names: Names) -> Section:
    tasks = Task.objects.filter(family__in=families).select_related("family", "assigned_to").order_by("due_on", "id")
    records = [
        Record(
            task.title,
            [
                ("title", "Task", task.title),
                ("family", "Family", task.family.reference),
                ("kind", "Kind", task.get_kind_display()),
                ("due_on", "Due", task.due_on),
                ("status", "Status", task.get_status_display()),
                ("assigned_to", "For", names.user(task.assigned_to, "Given a task")),
            ],
        )
        for task in tasks
    ]
    return Section(
        "tasks", "Tasks", "Reminders and tasks the service set itself about the families.", records, table=True
    )


def _history_section(person: Person, names: Names) -> Section:
    histories = [("Personal details", history_rows(Person.history.filter(id=person.pk)))]
    for label, queryset in (
        ("Address", PersonAddress.history.filter(person_id=person.pk)),
        ("Family membership", FamilyMember.history.filter(person_id=person.pk)),
        ("Relationship", Relationship.history.filter(Q(person_id=person.pk) | Q(relative_id=person.pk))),
        ("Concern flag", ConcernFlag.history.filter(person_id=person.pk)),
    ):
        grouped: dict[int, list] = {}
        for row in history_rows(queryset):
            grouped.setdefault(row.id, []).append(row)
        histories.extend((label, rows) for rows in grouped.values())
    records = [
        Record(
            entry.record,
            [
                ("when", "When", entry.when),
                ("record", "Record", entry.record),
                ("kind", "Change", entry.kind),
                (
                    "by",
                    "By",
                    names.professional(entry.who, "Changed the person's records") if entry.who != "Unknown" else "",
                ),
                (
                    "changes",
                    "What changed",
                    "\n".join(f"{c.field}: {c.old or '(empty)'} → {c.new or '(empty)'}" for c in entry.changes),
                ),
            ],
        )
        for entry in reversed(history_entries(histories=histories))
    ]
    return Section(
        "change_history",
        "Change history",
        "Every change to the person's own records (personal details, addresses, family memberships, relationships "
        "and concern flags), oldest first.",
        records,
        table=True,
    )


def _access_section(person: Person, families, names: Names) -> Section:
    labels = {person.uuid: "The person's record", **{f.uuid: f"Family {f.reference}" for f in families}}
    events = (
        AccessEvent.objects.filter(object_uuid__in=list(labels)).select_related("user").order_by("occurred_at", "id")
    )
    records = [
        Record(
            event.get_action_display(),
            [
                ("occurred_at", "When", event.occurred_at),
                ("user", "Who", names.user(event.user, "Looked at the records")),
                ("action", "What", event.get_action_display()),
                ("record", "Record", labels.get(event.object_uuid, "")),
                ("detail", "Detail", event.detail),
                ("break_glass", "Under break-the-glass", bool(event.break_glass_grant)),
            ],
        )
        for event in events
    ]
    return Section(
        "access_events",
        "Who has looked at the records",
        "Every time the person's record or their families' records were viewed, searched, exported or printed.",
        records,
        table=True,
    )


def _document_files(families) -> list[PackFile]:
    requests = (
        DocumentRequest.objects.filter(family__in=families, status=DocumentRequest.Status.READY)
        .exclude(kind=TEAM_PLANS)
        .exclude(document__file="")
        .select_related("document", "family")
        .order_by("created_at", "id")
    )
    return [
        PackFile(
            f"files/documents/{request.document.filename}",
            "A PDF made from the record",
            request.family.reference,
            request.document.file,
            request.document.created_at,
        )
        for request in requests
    ]


def _file_section(files: list[PackFile]) -> Section:
    records = [
        Record(
            file.path,
            [
                ("path", "File in this pack", file.path),
                ("what", "What", file.what),
                ("family", "Family", file.family),
                ("made_at", "Made or uploaded", file.made_at),
            ],
        )
        for file in files
    ]
    return Section(
        "files",
        "Files",
        "Copies of the files held: consent evidence and PDFs made from the families' records. Read each one for "
        "third parties' names before it is sent: they are not marked inside the files.",
        records,
        table=True,
    )


def pack_collect(*, person: Person) -> Pack:
    """Read everything held about `person` (a fixed number of queries, whatever the size of their record)."""
    person = Person.objects.select_related("school", "gp_practice").get(pk=person.pk)
    names = Names(person)
    memberships = list(
        FamilyMember.objects.filter(person=person)
        .select_related("family", "family__local_area_team")
        .order_by("family__reference")
    )
    families = [membership.family for membership in memberships]
    co_members = FamilyMember.objects.filter(family__in=families).select_related("person").order_by("role", "id")
    consent_section, consent_files = _consent_section(families, names)
    files = consent_files + _document_files(families)
    sections = [
        _person_section(person, names),
        _address_section(person),
        _membership_section(memberships, co_members, names),
        _relationship_section(person, names),
        _involvement_section(person, families, names),
        _contact_section(person, families, names),
        _concern_flag_section(person, names),
        *_episode_sections(families, names),
        _assessment_section(person, families, names),
        _plan_section(person, families, names),
        *_taf_sections(families, names),
        _intervention_section(person, families, names),
        _note_section(person, families, names),
        consent_section,
        _disclosure_section(families, names),
        _supporting_families_section(families, names),
        _task_section(families, names),
        _history_section(person, names),
        _access_section(person, families, names),
        _file_section(files),
    ]
    names.freeze()
    return Pack(subject=person, names=names, sections=sections, files=files, families=families)


# --- Writing the pack ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltPack:
    content: bytes
    filename: str
    sha256: str
    record_count: int
    third_party_count: int


def _party_json(party: Party) -> dict:
    return {
        "redaction_ref": party.ref,
        "name": party.name,
        "detail": party.detail,
        "connections": list(party.connections),
    }


def pack_json(*, pack: Pack, request, generated_at: datetime) -> dict:
    """The pack as plain data: the request, the redaction checklist, then one list of records per section."""
    names = pack.names
    sections = {section.key: [record_json(record, names) for record in section.records] for section in pack.sections}
    data = {
        "subject_access_request": {
            "reference": request.person_reference,
            "received_on": request.received_on.isoformat(),
            "due_on": request.due_on.isoformat(),
            "requested_by": str(request.requested_by),
            "generated_at": timezone.localtime(generated_at).isoformat(),
            "pack_version": PACK_VERSION,
        },
        "subject": {"name": names.subject.name, "role": SUBJECT},
        "redaction_checklist": {
            "third_parties": [_party_json(party) for party in names.third_parties],
            "practitioners": [_party_json(party) for party in names.practitioners],
            "practitioners_note": PRACTITIONERS_NOTE,
        },
    }
    return data | sections


def _section_view(section: Section, names: Names) -> dict:
    return {
        "key": section.key,
        "title": section.title,
        "intro": section.intro,
        "table": section.table,
        "columns": section.columns,
        "records": [
            {
                "title": record.title,
                "cells": [value_html(value, names) for _, _, value in record.fields],
                "rows": [(label, value_html(value, names)) for _, label, value in record.fields if _shown(value)],
            }
            for record in section.records
        ],
    }


def pack_report_html(*, pack: Pack, request, generated_at: datetime) -> str:
    """The readable report: the redaction checklist first, then every section."""
    context = {
        "title": "Subject access request",
        "request": request,
        "subject": pack.names.subject,
        "third_parties": pack.names.third_parties,
        "practitioners": pack.names.practitioners,
        "practitioners_note": PRACTITIONERS_NOTE,
        "sections": [_section_view(section, pack.names) for section in pack.sections],
        "generated_at": timezone.localtime(generated_at),
        "pack_version": PACK_VERSION,
    }
    return render_to_string("pdf/subject_access.html", context)


def _readme(*, pack: Pack, request, generated_at: datetime, missing: list[str]) -> str:
    lines = [
        "OFFICIAL-SENSITIVE",
        f"Subject access request {request.person_reference}, received {date_format(request.received_on, 'j F Y')}, "
        f"due {date_format(request.due_on, 'j F Y')}.",
        f"Made {date_format(timezone.localtime(generated_at), 'j F Y H:i')} for {request.requested_by}.",
        "",
        "report.pdf  everything held about the person, readable; the redaction checklist is at the front.",
        "data.json   the same data, machine-readable; third parties carry a redaction_ref (TP1, TP2...) and free",
        "            text naming one lists them under third_party_mentions.",
        "files/      copies of the files held (consent evidence, PDFs made from the records).",
        "",
        f"{len(pack.names.third_parties)} third parties are flagged for redaction. Redact them (and check the files",
        "in files/, where names are not marked) before the pack is sent.",
    ]
    if missing:
        lines += ["", "Files recorded but missing from storage (not in this pack):", *missing]
    return "\n".join(lines) + "\n"


def pack_build(*, request) -> BuiltPack:
    """Read, render and zip the pack for one subject access request."""
    generated_at = timezone.now()
    pack = pack_collect(person=request.person)
    data = pack_json(pack=pack, request=request, generated_at=generated_at)
    pdf = html_to_pdf(pack_report_html(pack=pack, request=request, generated_at=generated_at))
    buffer, missing = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.pdf", pdf.content)
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for file in pack.files:
            try:
                with file.field_file.open("rb") as handle:
                    archive.writestr(file.path, handle.read())
            except OSError:
                missing.append(f"{file.path} ({file.what}, family {file.family})")
        archive.writestr("README.txt", _readme(pack=pack, request=request, generated_at=generated_at, missing=missing))
    content = buffer.getvalue()
    return BuiltPack(
        content=content,
        filename=f"subject-access-{request.person_reference}-{timezone.localdate():%Y-%m-%d}.zip",
        sha256=hashlib.sha256(content).hexdigest(),
        record_count=sum(len(section.records) for section in pack.sections),
        third_party_count=len(pack.names.third_parties),
    )
