"""Writes for people and families. Each runs in one transaction and validates before saving."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from cases.models import Family, FamilyMember, Person, PersonAddress, ProfessionalInvolvement, Relationship
from cases.selectors import families_visible_to
from earlyhelp.core.perms import ACCESS_FAMILY, ACCESS_RESTRICTED_FAMILY, OVERRIDE_FAMILY_TEAM
from earlyhelp.core.states import status_move
from earlyhelp.core.validators import nhs_number_normalise, postcode_normalise
from locality.models import LocalAreaTeam
from locality.selectors import local_area_team_for_postcode, team_ids_with_case_access

REFERENCE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"


OLDER_RELATIVE_KINDS = {
    Relationship.Kind.MOTHER,
    Relationship.Kind.FATHER,
    Relationship.Kind.STEP_PARENT,
    Relationship.Kind.GRANDPARENT,
}


class FamilyError(Exception):
    """A change to a family that the rules refuse; the message is shown to the user."""


def family_reference_new() -> str:
    """A short, unguessable, unambiguous reference such as EH-K7Q3MX9A."""
    while True:
        reference = "EH-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        if not Family.objects.filter(reference=reference).exists():
            return reference


def _team_for(*, user, postcode: str, chosen: LocalAreaTeam | None) -> tuple[LocalAreaTeam, bool]:
    """The family's team: the postcode's, unless a manager chose another. Returns (team, overridden)."""
    by_postcode = local_area_team_for_postcode(postcode)
    if chosen is None or chosen == by_postcode:
        if by_postcode is None:
            raise ValidationError(
                {"local_area_team": "This postcode is outside the areas we know. Choose the Local Area Team"}
            )
        return by_postcode, False
    if by_postcode is not None and not user.has_perm(OVERRIDE_FAMILY_TEAM):
        raise ValidationError(
            {
                "local_area_team": (
                    f"This postcode is covered by {by_postcode}. Only a Local Area Team manager can choose another team"
                )
            }
        )
    return chosen, by_postcode is not None


def _family_details_save(
    family: Family,
    *,
    user,
    name: str,
    address_line_1: str,
    address_line_2: str,
    town: str,
    postcode: str,
    local_area_team: LocalAreaTeam | None,
) -> Family:
    postcode = postcode_normalise(postcode)
    team, overridden = _team_for(user=user, postcode=postcode, chosen=local_area_team)
    family.name = name.strip()
    family.address_line_1 = address_line_1.strip()
    family.address_line_2 = address_line_2.strip()
    family.town = town.strip()
    family.postcode = postcode
    family.local_area_team = team
    family.team_overridden = overridden
    family.full_clean()
    family.save()
    return family


@transaction.atomic
def family_create(
    *,
    user,
    name: str,
    address_line_1: str,
    postcode: str,
    address_line_2: str = "",
    town: str = "York",
    local_area_team: LocalAreaTeam | None = None,
) -> Family:
    """Open a record for a family. The creator is granted access if their team would not give it."""
    family = _family_details_save(
        Family(reference=family_reference_new()),
        user=user,
        name=name,
        address_line_1=address_line_1,
        address_line_2=address_line_2,
        town=town,
        postcode=postcode,
        local_area_team=local_area_team,
    )
    if not families_visible_to(user).filter(pk=family.pk).exists():
        family_access_grant(family=family, user=user)
    return family


@transaction.atomic
def family_update(
    *,
    user,
    family: Family,
    name: str,
    address_line_1: str,
    postcode: str,
    address_line_2: str = "",
    town: str = "York",
    local_area_team: LocalAreaTeam | None = None,
) -> Family:
    """Change a family's name or address; a new postcode may move it to another team.

    A team a manager chose is kept while the postcode stays the same.
    """
    if local_area_team is None and family.team_overridden and postcode_normalise(postcode) == family.postcode:
        local_area_team = family.local_area_team
    return _family_details_save(
        family,
        user=user,
        name=name,
        address_line_1=address_line_1,
        address_line_2=address_line_2,
        town=town,
        postcode=postcode,
        local_area_team=local_area_team,
    )


@transaction.atomic
def family_status_change(*, family: Family, status: str) -> Family:
    """Move a family to another status, if the state machine allows it."""
    status_move(family, status, error=FamilyError, noun="A family")
    family.save(update_fields=["status", "updated_at"])
    return family


def family_access_grant(*, family: Family, user) -> None:
    """Give one practitioner sight of one family (rule 2: partner practitioners)."""
    assign_perm(f"cases.{ACCESS_FAMILY}", user, family)


def family_access_revoke(*, family: Family, user) -> None:
    """Take away a practitioner's per-family grant."""
    remove_perm(f"cases.{ACCESS_FAMILY}", user, family)


def family_restricted_allow(*, family: Family, user) -> None:
    """Put a user on a restricted family's allow-list (rule 4)."""
    assign_perm(f"cases.{ACCESS_RESTRICTED_FAMILY}", user, family)


NHS_NUMBER_TAKEN = (
    "A record with this NHS number already exists. If it is not offered to you, ask your Local Area Team "
    "or the MASH about it rather than creating a second record"
)


def _person_save(person: Person) -> Person:
    """Validate and save; an NHS number held by any other record is refused without saying whose it is."""
    if person.nhs_number and Person.objects.filter(nhs_number=person.nhs_number).exclude(pk=person.pk).exists():
        raise ValidationError({"nhs_number": NHS_NUMBER_TAKEN})
    person.full_clean()
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise ValidationError({"nhs_number": NHS_NUMBER_TAKEN}) from None
    return person


@transaction.atomic
def person_create(*, user, **fields) -> Person:
    """Create a person record from validated form data."""
    fields["nhs_number"] = nhs_number_normalise(fields.get("nhs_number", ""))
    return _person_save(Person(**fields))


@transaction.atomic
def person_update(*, user, person: Person, **fields) -> bool:
    """Change a person's details. Returns False, and writes nothing, when nothing changed."""
    fields["nhs_number"] = nhs_number_normalise(fields.get("nhs_number", person.nhs_number))
    saved = Person.objects.get(pk=person.pk)
    if all(getattr(saved, name) == value for name, value in fields.items()):
        return False
    for name, value in fields.items():
        setattr(person, name, value)
    _person_save(person)
    return True


@transaction.atomic
def family_member_add(
    *,
    user,
    family: Family,
    person: Person,
    role: str,
    in_household: bool = True,
    parental_responsibility: bool = False,
    main_carer: bool = False,
) -> FamilyMember:
    """Add an existing person to a family, and record the family's address as theirs if they live there."""
    if FamilyMember.objects.filter(family=family, person=person).exists():
        raise FamilyError(f"{person} is already a member of this family")
    member = FamilyMember(
        family=family,
        person=person,
        role=role,
        in_household=in_household,
        parental_responsibility=parental_responsibility,
        main_carer=main_carer,
    )
    member.full_clean()
    member.save()
    if in_household and not person.addresses.filter(postcode=family.postcode, moved_out__isnull=True).exists():
        PersonAddress.objects.create(
            person=person,
            address_line_1=family.address_line_1,
            address_line_2=family.address_line_2,
            town=family.town,
            postcode=family.postcode,
            moved_in=timezone.localdate(),
        )
    return member


@transaction.atomic
def family_member_create(*, user, family: Family, person_fields: dict, member_fields: dict) -> FamilyMember:
    """Create a new person and add them to the family, all or nothing."""
    person = person_create(user=user, **person_fields)
    return family_member_add(user=user, family=family, person=person, **member_fields)


@transaction.atomic
def family_member_update(
    *, user, member: FamilyMember, role: str, in_household: bool, parental_responsibility: bool, main_carer: bool
) -> FamilyMember:
    """Change a member's role in the family."""
    member.role = role
    member.in_household = in_household
    member.parental_responsibility = parental_responsibility
    member.main_carer = main_carer
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def relationship_add(*, user, family: Family, person: Person, relative: Person, kind: str) -> Relationship:
    """Record that `person` is the `kind` of `relative`; both must be members of the family."""
    members = set(family.members.values_list("person_id", flat=True))
    if person.pk not in members or relative.pk not in members:
        raise FamilyError("Both people must be members of this family")
    if person.pk == relative.pk:
        raise FamilyError("Choose two different people")
    if Relationship.objects.filter(family=family, person=person, relative=relative, kind=kind).exists():
        raise FamilyError("This relationship is already recorded")
    both_born = person.date_of_birth and relative.date_of_birth
    if kind in OLDER_RELATIVE_KINDS and both_born and person.date_of_birth >= relative.date_of_birth:
        label = Relationship.Kind(kind).label.lower()
        raise FamilyError(f"{person} is not older than {relative}, so cannot be their {label}")
    relationship = Relationship(family=family, person=person, relative=relative, kind=kind)
    relationship.full_clean()
    relationship.save()
    return relationship


@transaction.atomic
def involvement_add(*, user, family: Family, **fields) -> ProfessionalInvolvement:
    """Record an agency or practitioner already working with the family or one of its members."""
    person = fields.get("person")
    if person is not None and not family.members.filter(person=person).exists():
        raise FamilyError("The person must be a member of this family")
    involvement = ProfessionalInvolvement(family=family, **fields)
    involvement.full_clean()
    involvement.save()
    return involvement


@transaction.atomic
def families_follow_postcode_sector(*, sector_code: str) -> int:
    """Move families in a postcode district or sector to the team now covering it.

    Families placed by a manager (`team_overridden`) stay where they are. Returns how many moved.
    """
    moved = 0
    code = sector_code.strip().upper()
    prefix = code if " " in code else f"{code} "
    candidates = Family.objects.filter(postcode__startswith=prefix)
    for family in candidates.filter(team_overridden=False).select_for_update():
        team = local_area_team_for_postcode(family.postcode)
        if team is not None and team.pk != family.local_area_team_id:
            family.local_area_team = team
            family.save(update_fields=["local_area_team", "updated_at"])
            moved += 1
    return moved


@transaction.atomic
def task_complete(*, user, task) -> None:
    """Mark a task done: the person it is for, or a manager of the team it is for."""
    from cases.models import Task

    if Task.Status.DONE not in Task.TRANSITIONS[task.status]:
        raise FamilyError("This task is already done")
    manages_team = (
        task.team_id is not None
        and user.has_perm(OVERRIDE_FAMILY_TEAM)
        and team_ids_with_case_access(user).filter(pk=task.team_id).exists()
    )
    if task.assigned_to_id != user.pk and not manages_team:
        owner = task.assigned_to or f"the {task.team} managers"
        raise FamilyError(f"This task is for {owner}, so only they can mark it as done")
    task.status = Task.Status.DONE
    task.completed_on = timezone.localdate()
    task.save(update_fields=["status", "completed_on", "updated_at"])


@transaction.atomic
def family_create_at_front_door(*, user, name: str, address_line_1: str, postcode: str, children: list[dict]) -> Family:
    """Open a record for a family first known through a MASH contact, with its children.

    The family goes to the team covering its postcode. No per-family grant is made: the MASH sees the family
    while it works the contact (rule 3), and the team from then on (rule 1).
    """
    family = _family_details_save(
        Family(reference=family_reference_new()),
        user=user,
        name=name,
        address_line_1=address_line_1,
        address_line_2="",
        town="York",
        postcode=postcode,
        local_area_team=None,
    )
    for fields in children:
        person = person_create(user=user, **fields)
        family_member_add(user=user, family=family, person=person, role=FamilyMember.Role.CHILD)
    return family


@transaction.atomic
def episode_allocate(*, user, episode, worker) -> None:
    """A team manager allocates a requested episode: the worker becomes its lead practitioner and is told."""
    from cases.models import Episode
    from cases.selectors import allocation_queue, team_workers
    from earlyhelp.accounts.services import notify

    episode = allocation_queue(user=user).select_for_update(of=("self",)).filter(pk=episode.pk).first()
    if episode is None:
        raise FamilyError("This request has already been allocated or is not in your team's queue")
    if not team_workers(local_area_team=episode.local_area_team).filter(pk=worker.pk).exists():
        raise ValidationError({"worker": f"Choose someone who works in {episode.local_area_team}"})
    status_move(episode, Episode.Status.ALLOCATED, error=FamilyError, noun="An episode")
    episode.lead_practitioner = worker
    episode.allocated_by = user
    episode.allocated_at = timezone.now()
    episode.save(update_fields=["status", "lead_practitioner", "allocated_by", "allocated_at", "updated_at"])
    if episode.contact_id:
        from referrals.services import contact_close_after_action

        contact_close_after_action(contact=episode.contact)
    from cases.services.episodes import allocation_task_key
    from cases.services.work import task_close

    task_close(key=allocation_task_key(episode))
    notify(
        user=worker,
        message=f"You have been allocated early help for the {episode.family.name} family",
        url=reverse("cases:family_detail", kwargs={"uuid": episode.family.uuid}),
    )


@transaction.atomic
def transfer_reference_record(*, user, transfer, external_reference: str) -> None:
    """Record children's social care's case reference for a step-up; the contact behind it then closes."""
    reference = external_reference.strip()
    if not reference:
        raise ValidationError({"external_reference": "Enter the reference children's social care gave"})
    transfer.external_reference = reference
    transfer.reference_recorded_at = timezone.now()
    transfer.full_clean()
    transfer.save(update_fields=["external_reference", "reference_recorded_at", "updated_at"])
    if transfer.contact_id:
        from referrals.services import contact_close_after_action

        contact_close_after_action(contact=transfer.contact)
