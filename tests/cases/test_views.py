from datetime import date

import pytest
from django.urls import reverse

from cases.models import Family, FamilyMember, Person
from tests.factories import AgencyFactory, FamilyFactory, FamilyMemberFactory, PersonFactory, PostcodeSectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sectors(lats):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    PostcodeSectorFactory(code="YO30", local_area_team=lats["clifton"])


def _member_data(**overrides):
    data = {
        "role": "child",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "date_of_birth_0": "29",
        "date_of_birth_1": "2",
        "date_of_birth_2": "2016",
        "sex": "female",
        "ethnicity": "WBRI",
        "sen_status": "none",
        "in_household": "on",
    }
    return data | overrides


def test_family_create_shows_errors_next_to_fields_and_in_the_summary(cfs_worker_client, sectors):
    response = cfs_worker_client.post(reverse("cases:family_create"), {"postcode": "nonsense"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter the family name" in page
    assert "Enter a full UK postcode, like YO31 0AA" in page
    assert not Family.objects.exists()


def test_family_create_then_redirects_to_the_family_with_a_success_message(partner_client, sectors):
    response = partner_client.post(
        reverse("cases:family_create"),
        {"name": "D'Arcy", "address_line_1": "4 Lane", "town": "York", "postcode": "yo30 5aa"},
        follow=True,
    )
    assert response.status_code == 200
    assert "created. Now add the people in the family." in response.content.decode()
    family = Family.objects.get()
    assert family.local_area_team.slug == "clifton"


def test_family_create_for_an_unknown_postcode_asks_for_the_team(cfs_worker_client, sectors):
    response = cfs_worker_client.post(
        reverse("cases:family_create"),
        {"name": "Far", "address_line_1": "1 Road", "town": "London", "postcode": "SW1A 1AA"},
    )
    assert "Choose the Local Area Team" in response.content.decode()


def test_family_member_add_creates_person_and_member(cfs_worker_client, own_family):
    response = cfs_worker_client.post(
        reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}), _member_data(), follow=True
    )
    assert "added to the family" in response.content.decode()
    member = FamilyMember.objects.get(family=own_family)
    assert member.person.first_name == "Zoë"
    assert member.person.date_of_birth == date(2016, 2, 29)


def test_family_member_add_refuses_29_february_in_a_common_year(cfs_worker_client, own_family):
    response = cfs_worker_client.post(
        reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}), _member_data(date_of_birth_2="2015")
    )
    assert "The date of birth must be a real date" in response.content.decode()
    assert not Person.objects.exists()


def test_family_member_add_refuses_a_future_date_of_birth_and_a_bad_nhs_number(cfs_worker_client, own_family):
    response = cfs_worker_client.post(
        reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}),
        _member_data(date_of_birth_0="1", date_of_birth_2=str(date.today().year + 1), nhs_number="1234567890"),
    )
    page = response.content.decode()
    assert "Date of birth must be today or in the past" in page
    assert "Enter a valid NHS number" in page
    assert not Person.objects.exists()


def test_family_member_add_refuses_an_over_long_name(cfs_worker_client, own_family):
    response = cfs_worker_client.post(
        reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}), _member_data(first_name="A" * 101)
    )
    assert "must be 100 characters or fewer" in response.content.decode()


def test_family_member_add_child_needs_a_date_of_birth(cfs_worker_client, own_family):
    data = _member_data(date_of_birth_0="", date_of_birth_1="", date_of_birth_2="")
    response = cfs_worker_client.post(reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}), data)
    assert "Enter the child&#x27;s date of birth, or an expected date of birth" in response.content.decode()


def test_family_member_add_shows_possible_duplicates_before_creating(cfs_worker_client, own_family, lats):
    from tests.factories import FamilyFactory

    sibling_family = FamilyFactory(local_area_team=lats["tang-hall"])
    existing = FamilyMemberFactory(
        family=sibling_family,
        person=PersonFactory(first_name="Zoë", last_name="O'Brien", date_of_birth=date(2016, 2, 29)),
    ).person
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    first = cfs_worker_client.post(url, _member_data())
    assert "Possible matches" in first.content.decode()
    assert Person.objects.count() == 1
    linked = cfs_worker_client.post(url, _member_data(existing_person=str(existing.uuid)))
    assert linked.status_code == 302
    assert FamilyMember.objects.get(family=own_family).person == existing
    assert Person.objects.count() == 1


def test_family_member_add_creates_a_new_record_once_duplicates_were_shown(cfs_worker_client, own_family):
    FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="Zoë", last_name="O'Brien", date_of_birth=date(2016, 2, 29))
    )
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    response = cfs_worker_client.post(url, _member_data(duplicates_checked="True"))
    assert response.status_code == 302
    assert Person.objects.filter(first_name="Zoë").count() == 2


def test_family_member_add_nhs_number_of_an_unseen_record_is_refused_without_details(
    cfs_worker_client, own_family, other_family
):
    FamilyMemberFactory(family=other_family, person=PersonFactory(first_name="Hidden", nhs_number="9434765919"))
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    page = cfs_worker_client.post(url, _member_data(nhs_number="943 476 5919")).content.decode()
    assert "A record with this NHS number already exists" in page
    assert 'href="#id_nhs_number"' in page
    assert "Hidden" not in page and "Possible matches" not in page


def test_family_member_add_nhs_number_of_a_visible_record_offers_it(cfs_worker_client, own_family, lats):
    from tests.factories import FamilyFactory

    neighbour = FamilyFactory(local_area_team=lats["tang-hall"])
    FamilyMemberFactory(family=neighbour, person=PersonFactory(first_name="Known", nhs_number="9434765919"))
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    page = cfs_worker_client.post(url, _member_data(nhs_number="9434765919")).content.decode()
    assert "Possible matches" in page and "Known" in page


def test_error_summary_links_to_the_first_radio_and_the_day_of_a_date(cfs_worker_client, own_family):
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    page = cfs_worker_client.post(url, {"first_name": "A", "last_name": "B", "date_of_birth_0": "31"}).content.decode()
    assert page.index('href="#id_role_1"') < page.index('href="#id_date_of_birth_')
    assert 'id="id_role_1"' in page


def test_family_member_add_cannot_link_a_person_the_user_cannot_see(cfs_worker_client, own_family, other_family):
    hidden = FamilyMemberFactory(family=other_family).person
    url = reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid})
    response = cfs_worker_client.post(url, _member_data(existing_person=str(hidden.uuid)))
    assert response.status_code == 404
    assert not own_family.members.exists()


def test_person_edit_saves_and_says_so(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family).person
    data = _member_data(first_name="Renamed", upn="a123456789012")
    del data["role"]
    response = cfs_worker_client.post(reverse("cases:person_edit", kwargs={"uuid": person.uuid}), data, follow=True)
    assert "details saved" in response.content.decode()
    person.refresh_from_db()
    assert person.first_name == "Renamed"
    assert person.upn == "A123456789012"


def test_relationship_add_and_involvement_add(cfs_worker_client, own_family):
    mum = FamilyMemberFactory(
        family=own_family, role="parent", person=PersonFactory(date_of_birth=date(1985, 1, 1))
    ).person
    child = FamilyMemberFactory(family=own_family).person
    agency = AgencyFactory(name="Test Health Visiting")
    rel = cfs_worker_client.post(
        reverse("cases:relationship_add", kwargs={"uuid": own_family.uuid}),
        {"person": mum.pk, "kind": "mother", "relative": child.pk},
        follow=True,
    )
    assert "Relationship saved." in rel.content.decode()
    inv = cfs_worker_client.post(
        reverse("cases:involvement_add", kwargs={"uuid": own_family.uuid}),
        {
            "agency": agency.pk,
            "person": child.pk,
            "practitioner_name": "Nurse Example",
            "started_on_0": "1",
            "started_on_1": "9",
            "started_on_2": "2025",
        },
        follow=True,
    )
    assert "Professional involvement saved." in inv.content.decode()
    page = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})).content.decode()
    assert "Test Health Visiting" in page and "is the mother of" in page


def test_relationship_add_refuses_the_same_person_twice(cfs_worker_client, own_family):
    mum = FamilyMemberFactory(
        family=own_family, role="parent", person=PersonFactory(date_of_birth=date(1985, 1, 1))
    ).person
    FamilyMemberFactory(family=own_family)
    response = cfs_worker_client.post(
        reverse("cases:relationship_add", kwargs={"uuid": own_family.uuid}),
        {"person": mum.pk, "kind": "mother", "relative": mum.pk},
    )
    assert "Choose two different people" in response.content.decode()


def test_family_member_edit_changes_role(cfs_worker_client, own_family):
    member = FamilyMemberFactory(family=own_family, role="parent")
    cfs_worker_client.post(
        reverse("cases:family_member_edit", kwargs={"uuid": own_family.uuid, "member_uuid": member.uuid}),
        {"role": "carer", "in_household": "on", "main_carer": "on"},
    )
    member.refresh_from_db()
    assert (member.role, member.main_carer, member.parental_responsibility) == ("carer", True, False)


def test_search_needs_at_least_one_criterion(cfs_worker_client):
    page = cfs_worker_client.post(reverse("cases:search"), {"name": ""}, follow=True).content.decode()
    assert "Enter a name, date of birth, NHS number or postcode to search for" in page


def test_search_results_link_to_people_and_their_families(cfs_worker_client, own_family):
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Ada", last_name="Lovelace"))
    page = cfs_worker_client.post(reverse("cases:search"), {"name": "lovelace"}, follow=True).content.decode()
    assert "1 person found" in page and "Ada Lovelace" in page and "Ownteam family" in page


def test_a_search_finding_more_than_a_page_shows_the_closest_and_asks_for_a_closer_search(cfs_worker_client, lats):
    family = FamilyFactory(local_area_team=lats["tang-hall"])
    for number in range(27):
        FamilyMemberFactory(family=family, person=PersonFactory(first_name=f"Ada{number:02d}", last_name="Lovelace"))

    response = cfs_worker_client.post(reverse("cases:search"), {"name": "lovelace"}, follow=True)

    page = response.content.decode()
    assert "More than 25 people found" in page
    assert "Add a date of birth, an NHS number or a postcode" in page
    assert len(response.context["page"].object_list) == 25 and response.context["page"].more


def test_a_search_finding_exactly_a_page_says_how_many(cfs_worker_client, lats):
    family = FamilyFactory(local_area_team=lats["tang-hall"])
    for number in range(25):
        FamilyMemberFactory(family=family, person=PersonFactory(first_name=f"Ada{number:02d}", last_name="Lovelace"))

    page = cfs_worker_client.post(reverse("cases:search"), {"name": "lovelace"}, follow=True).content.decode()

    assert "25 people found" in page and "More than" not in page


def test_family_list_pages_by_name_with_next_families_after_the_last_one_shown(cfs_worker_client, lats):
    from tests.factories import FamilyFactory

    made = [FamilyFactory(local_area_team=lats["tang-hall"], name=f"Name{number:02d}") for number in range(30)]
    made.append(FamilyFactory(local_area_team=lats["tang-hall"], name="Name24"))  # same name: by reference next
    in_order = sorted(made, key=lambda family: (family.name, family.reference))

    first = cfs_worker_client.get(reverse("cases:family_list"))
    assert [f.reference for f in first.context["page"].object_list] == [f.reference for f in in_order[:25]]
    assert first.context["next_query"] == f"team=&status=&after={in_order[24].reference}"
    assert "Next families" in first.content.decode() and "First families" not in first.content.decode()

    second = cfs_worker_client.get(f"{reverse('cases:family_list')}?{first.context['next_query']}")
    assert [f.reference for f in second.context["page"].object_list] == [f.reference for f in in_order[25:]]
    assert second.context["next_query"] == ""
    assert "First families" in second.content.decode() and "Next families" not in second.content.decode()


def test_family_list_link_naming_a_family_not_in_the_list_shows_the_first_page_with_an_error(cfs_worker_client, lats):
    from tests.factories import FamilyFactory

    FamilyFactory(local_area_team=lats["tang-hall"], name="Visible")
    elsewhere = FamilyFactory(local_area_team=lats["clifton"], name="Elsewhere")

    for after in (elsewhere.reference, "EH-NOSUCH01", "<script>"):
        response = cfs_worker_client.get(reverse("cases:family_list"), {"after": after})
        page = response.content.decode()
        assert response.status_code == 200
        assert "The page asked for does not exist" in page and "Visible family" in page
        assert "Elsewhere" not in page


def test_family_list_empty_state(cfs_worker_client):
    assert "There are no families you can see" in cfs_worker_client.get(reverse("cases:family_list")).content.decode()


def test_family_edit_that_moves_the_family_out_of_the_team_says_so(cfs_worker_client, own_family, lats):
    PostcodeSectorFactory(code="YO24", local_area_team=lats["hob-moor"])
    response = cfs_worker_client.post(
        reverse("cases:family_edit", kwargs={"uuid": own_family.uuid}),
        {"name": own_family.name, "address_line_1": "1 New Road", "town": "York", "postcode": "YO24 1AB"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cases:family_list")
    assert "now held by the Hob Moor Local Area Team, so you can no longer see it" in response.content.decode()


def test_person_edit_refused_keeps_the_saved_name_in_the_heading(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Saved", last_name="Name")).person
    data = _member_data(first_name="Unsaved", nhs_number="123")
    del data["role"]
    page = cfs_worker_client.post(reverse("cases:person_edit", kwargs={"uuid": person.uuid}), data).content.decode()
    assert "Change Saved Name's details" in page
    assert "Unsaved Name's details" not in page


def test_person_with_a_long_name_that_lengthens_when_lower_cased_is_saved(cfs_worker_client, own_family):
    data = _member_data(first_name="İ" + "a" * 99, last_name="b" * 100)
    response = cfs_worker_client.post(reverse("cases:family_member_add", kwargs={"uuid": own_family.uuid}), data)
    assert response.status_code == 302
    assert len(Person.objects.get().search_name) == 201


def test_search_keeps_names_and_nhs_numbers_out_of_the_address_bar(cfs_worker_client, own_family):
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Ada", last_name="Lovelace"))
    response = cfs_worker_client.post(reverse("cases:search"), {"name": "Lovelace", "nhs_number": "943 476 5919"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:search") + "?results=1"
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert 'value="Lovelace"' in page, "the criteria come back from the session"
