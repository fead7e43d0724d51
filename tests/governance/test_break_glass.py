"""Break-the-glass (docs/permissions.md rule 5): a search hit outside scope says only that a record exists; asking
for access needs a reason and a code; the grant lasts 60 minutes; the family's managers and the information
governance officer are told; pages viewed under it are flagged in the access log; the report lists every use."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.selectors import SearchCriteria, families_visible_to
from earlyhelp.accounts.models import Notification
from earlyhelp.audit.models import AccessEvent
from governance.models import BreakGlassGrant
from governance.selectors.break_glass import records_outside_scope
from governance.services.break_glass import break_glass_grant_create
from tests.auth import signed_in_client
from tests.factories import FamilyFactory, FamilyMemberFactory, PersonFactory
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

KEY = "3132333435363738393031323334353637383930"  # the authenticator app's key, hex as django-otp keeps it
NOW = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)  # five seconds into a TOTP time step
NHS_NUMBER = "9434765919"
BORN = date(2016, 4, 5)
REASON = "Police call about the youngest child tonight; their team is closed."


def _authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", key=KEY, confirmed=True)


def _code() -> str:
    totp = TOTP(bytes.fromhex(KEY), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def moment():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def child(own_family):
    """A child in the Tang Hall family: outside the Hob Moor worker's scope."""
    person = PersonFactory(first_name="Zelda", last_name="Quennell", date_of_birth=BORN, nhs_number=NHS_NUMBER)
    FamilyMemberFactory(family=own_family, person=person)
    return person


def _search(client, **criteria) -> str:
    data = {"name": "", "nhs_number": "", "postcode": ""}
    if born := criteria.pop("born", None):
        data |= {"date_of_birth_0": born.day, "date_of_birth_1": born.month, "date_of_birth_2": born.year}
    response = client.post(reverse("cases:search"), data | criteria)
    assert response.status_code == 302, response.content.decode()
    return page_of(client.get(response["Location"]))


def _request_url(family) -> str:
    return reverse("governance:break_glass_request", kwargs={"uuid": family.uuid})


def _break_glass(client, user, family, *, reason: str = REASON):
    _authenticator(user)
    return client.post(_request_url(family), {"reason": reason, "code": _code()})


# Search


def test_search_outside_scope_says_only_that_a_record_exists(other_lat_client, own_family, child, moment):
    page = _search(other_lat_client, name="Zelda Quennell", born=BORN)
    assert page.count("A record exists that you do not have access to") == 1
    assert _request_url(own_family) in page
    for detail in ("Zelda", "Quennell", own_family.name, own_family.reference, "Tang Hall", own_family.postcode):
        assert detail not in page.split("</h1>", 1)[1].replace('value="Zelda Quennell"', ""), detail
    assert "0 people found" in page


def test_search_outside_scope_by_nhs_number(other_lat_client, own_family, child):
    page = _search(other_lat_client, nhs_number="943 476 5919")
    assert "A record exists that you do not have access to" in page and _request_url(own_family) in page


@pytest.mark.parametrize(
    "criteria",
    [
        {},
        {"postcode": "YO31 1AA"},
        {"postcode": "ZZ99 9ZZ"},
        {"name": "Nobody Else"},
        {"born": date(2001, 1, 1)},
    ],
    ids=["alone", "right postcode", "wrong postcode", "wrong name", "wrong date of birth"],
)
def test_search_outside_scope_by_nhs_number_ignores_the_other_criteria(other_lat_user, own_family, child, criteria):
    own_family.postcode = "YO31 1AA"
    own_family.save()
    criteria = dict(criteria)
    if born := criteria.pop("born", None):
        criteria["date_of_birth"] = born
    hits = records_outside_scope(user=other_lat_user, criteria=SearchCriteria(nhs_number=NHS_NUMBER, **criteria))
    assert hits == [own_family.uuid], "the hit says nothing of the name, date of birth or postcode"


@pytest.mark.parametrize("postcode", ["", "YO31 1AA", "ZZ99 9ZZ"])
def test_search_outside_scope_by_name_and_date_of_birth_ignores_the_postcode(
    other_lat_client, own_family, child, postcode
):
    own_family.postcode = "YO31 1AA"
    own_family.save()
    page = _search(other_lat_client, name="Zelda Quennell", born=BORN, postcode=postcode)
    assert page.count("A record exists that you do not have access to") == 1 and _request_url(own_family) in page


@pytest.mark.parametrize(
    "criteria",
    [
        {"name": "Zelda Quennell"},
        {"born": BORN},
        {"postcode": "YO31 1AA"},
        {"name": "Quennell", "postcode": "YO31 1AA"},
    ],
    ids=["name", "date of birth", "postcode", "name and postcode"],
)
def test_search_outside_scope_needs_specific_criteria(other_lat_client, child, criteria):
    page = _search(other_lat_client, **criteria)
    assert "A record exists" not in page
    assert "search with an NHS number, or a name with a date of birth" in page


def test_search_outside_scope_never_names_restricted_families_or_people(
    other_lat_client, restricted_family, own_family
):
    FamilyMemberFactory(
        family=restricted_family,
        person=PersonFactory(first_name="Zelda", last_name="Quennell", date_of_birth=BORN, nhs_number=NHS_NUMBER),
    )
    FamilyMemberFactory(
        family=own_family,
        person=PersonFactory(first_name="Zelda", last_name="Quennell", date_of_birth=BORN, restricted=True),
    )
    assert "A record exists" not in _search(other_lat_client, name="Zelda Quennell", born=BORN)
    assert "A record exists" not in _search(other_lat_client, nhs_number=NHS_NUMBER)


def test_search_outside_scope_not_for_families_already_seen(cfs_worker_client, child):
    page = _search(cfs_worker_client, name="Zelda Quennell", born=BORN)
    assert "1 person found" in page and "A record exists" not in page


def test_search_outside_scope_not_for_roles_without_break_glass(partner_client, sf_officer_client, child):
    for client in (partner_client, sf_officer_client):
        page = _search(client, name="Zelda Quennell", born=BORN)
        assert "A record exists" not in page
        assert "search with an NHS number, or a name with a date of birth" not in page


def test_search_outside_scope_one_line_per_family(other_lat_user, own_family, lats, child):
    second = FamilyFactory(local_area_team=lats["clifton"])
    FamilyMemberFactory(family=second, person=child)  # the same child in two families
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Zelda", last_name="Quennell"))
    criteria = SearchCriteria(name="Zelda Quennell", date_of_birth=BORN)
    assert sorted(records_outside_scope(user=other_lat_user, criteria=criteria)) == sorted(
        [own_family.uuid, second.uuid]
    )


# Session, user, role permissions (2), the people found (the closest ones, with no count of every match; their
# visible families), the families found, the one query for records outside scope. The session is not saved (the
# search's POST saved it, less than a minute ago).
SEARCH_QUERIES = 8


@pytest.mark.parametrize("count", [1, 5])
def test_search_query_count_is_constant(other_lat_client, lats, count, django_assert_num_queries):
    for _ in range(count):
        for team in ("tang-hall", "hob-moor", "clifton"):
            FamilyMemberFactory(
                family=FamilyFactory(local_area_team=lats[team]),
                person=PersonFactory(first_name="Zelda", last_name="Quennell", date_of_birth=BORN),
            )
    data = {"name": "Zelda Quennell", "date_of_birth_0": BORN.day, "date_of_birth_1": BORN.month}
    response = other_lat_client.post(reverse("cases:search"), data | {"date_of_birth_2": BORN.year})
    with django_assert_num_queries(SEARCH_QUERIES):
        page = page_of(other_lat_client.get(response["Location"]))
    assert f"{count} {'person' if count == 1 else 'people'} found" in page
    assert page.count("A record exists that you do not have access to") == min(2 * count, 5)


# Asking for access


def test_request_page_warns_and_names_nothing(other_lat_client, own_family):
    page = page_of(other_lat_client.get(_request_url(own_family)))
    assert "Your access is logged" in page and "60 minutes" in page
    assert "manager and the information governance officer are told" in page
    assert own_family.name not in page and own_family.reference not in page


def test_request_refused_with_a_short_reason(other_lat_client, other_lat_user, own_family, moment):
    response = _break_glass(other_lat_client, other_lat_user, own_family, reason="Need to see it")
    assert "Give a reason of at least 15 characters" in page_of(response)
    assert not BreakGlassGrant.objects.exists()
    assert not families_visible_to(other_lat_user).filter(pk=own_family.pk).exists()


def test_request_refused_with_a_wrong_code(other_lat_client, other_lat_user, own_family, moment):
    _authenticator(other_lat_user)
    response = other_lat_client.post(_request_url(own_family), {"reason": REASON, "code": _wrong(_code())})
    assert "The code is not right" in page_of(response)
    assert not BreakGlassGrant.objects.exists()
    assert not Notification.objects.exists()
    assert not AccessEvent.objects.filter(detail="break-the-glass access given").exists()


def test_request_refused_without_an_authenticator(other_lat_client, own_family, moment):
    response = other_lat_client.post(_request_url(own_family), {"reason": REASON, "code": "123456"})
    assert "The code is not right" in page_of(response)
    assert not BreakGlassGrant.objects.exists()


def test_request_for_a_restricted_or_unknown_family_is_not_found(other_lat_client, restricted_family):
    assert other_lat_client.get(_request_url(restricted_family)).status_code == 404
    unknown = reverse("governance:break_glass_request", kwargs={"uuid": "6f1c7d1e-0000-4000-8000-000000000000"})
    assert other_lat_client.get(unknown).status_code == 404


def test_request_refused_to_roles_without_break_glass(partner_client, analyst_client, ig_officer_client, own_family):
    for client in (partner_client, analyst_client, ig_officer_client):
        assert client.get(_request_url(own_family)).status_code == 403


def test_request_for_a_family_already_seen_goes_to_its_page(cfs_worker_client, cfs_worker_user, own_family, moment):
    response = _break_glass(cfs_worker_client, cfs_worker_user, own_family)
    assert response["Location"] == reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    assert not BreakGlassGrant.objects.exists()


def test_grant_gives_access_for_sixty_minutes(other_lat_client, other_lat_user, own_family, child, moment, settings):
    settings.SESSION_TOUCH_SECONDS = 60  # as in production, so a page every 25 minutes keeps the session
    family_url = reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    assert other_lat_client.get(family_url).status_code == 404
    response = _break_glass(other_lat_client, other_lat_user, own_family)
    assert response["Location"] == family_url
    assert messages_of(response) == [
        "You can see this record until 11:00. Every page you view is logged and your reason has been sent to your "
        "manager and the information governance officer."
    ]
    grant = BreakGlassGrant.objects.get()
    assert (grant.user, grant.family, grant.family_reference, grant.reason) == (
        other_lat_user,
        own_family,
        own_family.reference,
        REASON,
    )
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    assert other_lat_client.get(family_url).status_code == 200
    for step in (timedelta(minutes=25), timedelta(minutes=25), timedelta(minutes=9, seconds=50)):
        moment.shift(step)  # a page every 25 minutes keeps the session from its idle timeout
        assert other_lat_client.get(family_url).status_code == 200
    moment.shift(timedelta(seconds=10))
    assert other_lat_client.get(family_url).status_code == 404
    assert not families_visible_to(other_lat_user).filter(pk=own_family.pk).exists()
    assert "A record exists" in _search(other_lat_client, name="Zelda Quennell", born=BORN)


def test_grant_minutes_follow_the_setting(other_lat_user, own_family, settings, moment):
    settings.BREAK_GLASS_MINUTES = 15
    grant = break_glass_grant_create(user=other_lat_user, family=own_family, reason=REASON)
    assert grant.expires_at == NOW + timedelta(minutes=15)


def test_grant_never_shows_a_restricted_person(other_lat_client, other_lat_user, own_family, child, moment):
    hidden = PersonFactory(first_name="Hidden", last_name="Person", restricted=True)
    FamilyMemberFactory(family=own_family, person=hidden)
    _break_glass(other_lat_client, other_lat_user, own_family)
    page = page_of(other_lat_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})))
    assert "Zelda Quennell" in page and "Hidden Person" not in page
    assert other_lat_client.get(reverse("cases:person_detail", kwargs={"uuid": hidden.uuid})).status_code == 404


def test_grant_never_for_a_restricted_family(other_lat_user, restricted_family, moment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        break_glass_grant_create(user=other_lat_user, family=restricted_family, reason=REASON)
    assert not BreakGlassGrant.objects.exists()


def test_grant_of_a_family_later_restricted_stops_working(other_lat_user, own_family, moment):
    break_glass_grant_create(user=other_lat_user, family=own_family, reason=REASON)
    assert families_visible_to(other_lat_user).filter(pk=own_family.pk).exists()
    own_family.restricted = True
    own_family.save()
    assert not families_visible_to(other_lat_user).filter(pk=own_family.pk).exists()


def test_grant_tells_the_team_managers_and_the_information_governance_officer(
    other_lat_client, other_lat_user, own_family, lat_manager_user, second_manager_user, ig_officer_user, moment
):
    _break_glass(other_lat_client, other_lat_user, own_family)
    told = {n.user: n for n in Notification.objects.select_related("user")}
    assert set(told) == {lat_manager_user, second_manager_user, ig_officer_user}
    message = told[lat_manager_user].message
    assert message.startswith(f"Olly Other (Practitioner, {other_lat_user.agency}) used break-the-glass")
    assert f"family {own_family.reference} until 11:00" in message and REASON in message
    assert told[lat_manager_user].url == reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    assert told[ig_officer_user].url == reverse("governance:break_glass_report")


# Pages viewed under the grant


def test_pages_viewed_under_the_grant_are_flagged(other_lat_client, other_lat_user, own_family, other_family, child):
    with time_machine.travel(NOW, tick=False):
        _break_glass(other_lat_client, other_lat_user, own_family)
        grant = BreakGlassGrant.objects.get()
        given = AccessEvent.objects.get(detail="break-the-glass access given")
        assert given.break_glass_grant is None, "asking is not a page viewed under the grant"
        for name, uuid in (
            ("cases:family_detail", own_family.uuid),
            ("cases:person_detail", child.uuid),
            ("cases:chronology", own_family.uuid),
            ("cases:family_detail", other_family.uuid),  # the worker's own team's family: not under the grant
        ):
            assert other_lat_client.get(reverse(name, kwargs={"uuid": uuid})).status_code == 200
    events = list(AccessEvent.objects.filter(user=other_lat_user, action="view").order_by("id"))
    assert [e.break_glass_grant for e in events] == [None, grant.uuid, grant.uuid, grant.uuid, None]
    assert events[-1].object_uuid == other_family.uuid
    later = signed_in_client(other_lat_user)  # the first session has timed out by then
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        assert later.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})).status_code == 404
        assert later.get(reverse("cases:person_detail", kwargs={"uuid": child.uuid})).status_code == 404
        assert later.get(reverse("cases:family_detail", kwargs={"uuid": other_family.uuid})).status_code == 200
    assert AccessEvent.objects.filter(break_glass_grant=grant.uuid).count() == 3


def test_pages_are_flagged_in_a_later_session_too(other_lat_user, own_family, moment):
    break_glass_grant_create(user=other_lat_user, family=own_family, reason=REASON)
    grant = BreakGlassGrant.objects.get()
    client = signed_in_client(other_lat_user)  # signing in puts the unexpired grant into the new session
    page = page_of(client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})))
    assert "under break-the-glass access until 11:00" in page
    assert AccessEvent.objects.filter(user=other_lat_user, action="view").order_by("id").last().break_glass_grant == (
        grant.uuid
    )


def test_pages_are_flagged_in_a_session_open_before_the_grant(other_lat_user, own_family, child, moment):
    earlier = signed_in_client(other_lat_user)  # say, a second browser open before the grant
    asking = signed_in_client(other_lat_user)
    _break_glass(asking, other_lat_user, own_family)
    grant = BreakGlassGrant.objects.get()
    page = page_of(earlier.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})))
    assert "under break-the-glass access until 11:00" in page
    assert earlier.get(reverse("cases:person_detail", kwargs={"uuid": child.uuid})).status_code == 200
    events = AccessEvent.objects.filter(user=other_lat_user, action="view").order_by("-id")[:2]
    assert [event.break_glass_grant for event in events] == [grant.uuid, grant.uuid]


def test_sharing_a_grant_leaves_other_sessions_expiry_and_other_users_alone(
    other_lat_user, cfs_worker_user, own_family, moment
):
    from django.contrib.sessions.models import Session

    from governance.services.break_glass import break_glass_sessions_share

    mine = signed_in_client(other_lat_user).session.session_key
    theirs = signed_in_client(cfs_worker_user).session.session_key
    expiry = Session.objects.get(session_key=mine).expire_date
    grant = break_glass_grant_create(user=other_lat_user, family=own_family, reason=REASON)
    moment.shift(timedelta(minutes=5))
    assert break_glass_sessions_share(user=other_lat_user, grants=[grant]) == 1
    session = Session.objects.get(session_key=mine)
    assert session.expire_date == expiry, "an idle session is not kept alive"
    assert session.get_decoded()["break_glass_grants"][str(own_family.pk)]["grant"] == str(grant.uuid)
    assert "break_glass_grants" not in Session.objects.get(session_key=theirs).get_decoded()


def test_pages_about_someone_who_joined_the_family_after_the_grant_are_flagged(
    other_lat_client, other_lat_user, own_family, other_family, moment
):
    _break_glass(other_lat_client, other_lat_user, own_family)
    grant = BreakGlassGrant.objects.get()
    newcomer = PersonFactory(first_name="Nia", last_name="Newcome")
    FamilyMemberFactory(family=own_family, person=newcomer)
    outsider = PersonFactory(first_name="Otto", last_name="Outside")
    FamilyMemberFactory(family=other_family, person=outsider)  # the worker's own team's family
    for person in (newcomer, outsider):
        assert other_lat_client.get(reverse("cases:person_detail", kwargs={"uuid": person.uuid})).status_code == 200
    events = AccessEvent.objects.filter(user=other_lat_user, object_type="cases.person").order_by("id")
    assert [(event.object_uuid, event.break_glass_grant) for event in events] == [
        (newcomer.uuid, grant.uuid),
        (outsider.uuid, None),
    ]


def test_family_page_shows_the_banner_only_under_a_grant(other_lat_client, other_lat_user, own_family, other_family):
    with time_machine.travel(NOW, tick=False):
        _break_glass(other_lat_client, other_lat_user, own_family)
        page = page_of(other_lat_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})))
        assert "You are viewing this record under break-the-glass access until 11:00" in page
        page = page_of(other_lat_client.get(reverse("cases:family_detail", kwargs={"uuid": other_family.uuid})))
        assert "break-the-glass" not in page


def test_family_page_query_count_is_the_same_under_a_grant(
    other_lat_client, other_lat_user, cfs_worker_client, own_family, child, moment
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    _break_glass(other_lat_client, other_lat_user, own_family)
    counts = []
    for client in (other_lat_client, cfs_worker_client):
        page_of(client.get(url))  # each client's first page, so both sessions are in the same state
        with CaptureQueriesContext(connection) as queries:
            page_of(client.get(url))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# The report


def _used(user, family, *, at: datetime, pages: int) -> BreakGlassGrant:
    """A grant given at `at`, with `pages` pages viewed under it (through its session)."""
    client = signed_in_client(user)
    with time_machine.travel(at, tick=False):
        if not TOTPDevice.objects.filter(user=user).exists():
            _authenticator(user)
        client.post(_request_url(family), {"reason": REASON, "code": _code()})
        for _ in range(pages):
            page_of(client.get(reverse("cases:family_detail", kwargs={"uuid": family.uuid})))
    return BreakGlassGrant.objects.get(user=user, family=family, granted_at=at)


def test_report_lists_every_use_with_the_pages_viewed(ig_officer_client, other_lat_user, own_family, lats):
    first = _used(other_lat_user, own_family, at=NOW, pages=2)
    second = _used(other_lat_user, FamilyFactory(local_area_team=lats["clifton"]), at=NOW + timedelta(days=1), pages=0)
    page = page_of(ig_officer_client.get(reverse("governance:break_glass_report")))
    assert "2 uses of break-the-glass" in page
    assert page.index(second.family_reference) < page.index(first.family_reference), "newest first"
    rows = page.split("<tbody", 1)[1].split("</tr>")
    assert "Olly Other" in rows[1] and "Tang Hall" in rows[1] and REASON in rows[1]
    assert "2 Mar 2026, 10:00" in rows[1] and "2 Mar 2026, 11:00" in rows[1]
    assert rows[1].rstrip().endswith('govuk-table__cell--numeric">2</td>')
    assert rows[0].rstrip().endswith('govuk-table__cell--numeric">0</td>')


def test_report_filters_by_dates_and_person(ig_officer_client, other_lat_user, mash_screener_user, own_family, lats):
    _used(other_lat_user, own_family, at=NOW, pages=0)
    _used(mash_screener_user, FamilyFactory(local_area_team=lats["clifton"]), at=NOW + timedelta(days=3), pages=0)
    url = reverse("governance:break_glass_report")
    assert "1 use of break-the-glass" in page_of(ig_officer_client.get(url, {"user": mash_screener_user.pk}))
    after = {"date_from_0": "3", "date_from_1": "3", "date_from_2": "2026"}
    page = page_of(ig_officer_client.get(url, after))
    assert "1 use of break-the-glass" in page and "Sam Screener" in page.split("<tbody", 1)[1]
    wrong = page_of(ig_officer_client.get(url, {"user": "99999999999999999999"}))
    assert "Choose a person from the list" in wrong
    backwards = page_of(ig_officer_client.get(url, after | {"date_to_0": "1", "date_to_1": "3", "date_to_2": "2026"}))
    assert "The end of the dates must be on or after their start" in backwards


def test_report_downloads_as_csv(ig_officer_client, other_lat_user, own_family):
    _used(other_lat_user, own_family, at=NOW, pages=1)
    response = ig_officer_client.get(reverse("governance:break_glass_report"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Given at,Name,Job,Agency,Family,Local Area Team,Reason")
    assert own_family.reference in lines[1] and lines[1].endswith(",1")
    assert AccessEvent.objects.filter(action="export", detail="break-the-glass report").count() == 1


def test_report_download_needs_a_recent_code(ig_officer_user, other_lat_user, own_family, settings):
    _used(other_lat_user, own_family, at=NOW, pages=0)
    client = signed_in_client(ig_officer_user)
    url = reverse("governance:break_glass_report")
    with time_machine.travel(timezone_now() + timedelta(minutes=settings.REAUTH_MINUTES + 1), tick=False):
        assert client.get(url).status_code == 200, "the page itself needs no new code"
        response = client.get(url, {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert not AccessEvent.objects.filter(action="export").exists()


# Session, user, role permissions (2), the access event (the chain head, insert, update), the count, the filter's
# people, the page of grants with their pages viewed. The session is not saved (it was saved at sign-in, less than
# a minute ago).
REPORT_QUERIES = 10


@pytest.mark.parametrize("count", [1, 4])
def test_report_query_count_is_constant(
    ig_officer_client, other_lat_user, lats, count, moment, django_assert_num_queries
):
    for _ in range(count):
        break_glass_grant_create(
            user=other_lat_user, family=FamilyFactory(local_area_team=lats["clifton"]), reason=REASON
        )
    with django_assert_num_queries(REPORT_QUERIES):
        page = page_of(ig_officer_client.get(reverse("governance:break_glass_report")))
    assert f"{count} use" in page


@pytest.mark.parametrize("persona", ["cfs_worker", "lat_manager", "mash_manager", "partner", "analyst"])
def test_report_is_for_information_governance_officers_only(request, persona):
    client = request.getfixturevalue(f"{persona}_client")
    assert client.get(reverse("governance:break_glass_report")).status_code == 403


def test_report_is_in_the_information_governance_officers_navigation(ig_officer_client, cfs_worker_client):
    link = f'href="{reverse("governance:break_glass_report")}"'
    assert link in page_of(ig_officer_client.get(reverse("core:home")))
    assert link not in page_of(cfs_worker_client.get(reverse("core:home")))


def test_mash_screener_can_break_the_glass_too(mash_screener_client, mash_screener_user, lats, moment):
    family = FamilyFactory(local_area_team=lats["clifton"])  # no contact: outside the MASH's scope
    response = _break_glass(mash_screener_client, mash_screener_user, family)
    assert response["Location"] == reverse("cases:family_detail", kwargs={"uuid": family.uuid})
    assert families_visible_to(mash_screener_user).filter(pk=family.pk).exists()


# Demo


def test_demo_adds_past_uses_with_flagged_pages(
    other_lat_user, mash_screener_user, own_family, lats, ig_officer_client
):
    from earlyhelp.audit.services import GENESIS_HASH, access_event_hash
    from governance.demo import break_glass_demo

    other_lat_user.email = "cfs.hob-moor@example.org"
    other_lat_user.save()
    mash_screener_user.email = "mash.screener@example.org"
    mash_screener_user.save()
    FamilyMemberFactory(family=own_family)
    FamilyMemberFactory(family=FamilyFactory(local_area_team=lats["clifton"]))
    today = date(2026, 3, 20)
    assert break_glass_demo(today=today).startswith("Break-the-glass: 2 past uses, with 5 pages")
    assert break_glass_demo(today=today) == "Break-the-glass uses already recorded."
    grants = {grant.user: grant for grant in BreakGlassGrant.objects.all()}
    assert grants[other_lat_user].family == own_family
    assert grants[other_lat_user].expires_at < datetime(2026, 3, 20, tzinfo=UTC)
    assert not families_visible_to(other_lat_user).filter(pk=own_family.pk).exists(), "the demo's grants are over"
    previous = GENESIS_HASH
    for event in AccessEvent.objects.order_by("id"):
        assert event.previous_hash == previous and event.hash == access_event_hash(previous_hash=previous, event=event)
        previous = event.hash
    page = page_of(ig_officer_client.get(reverse("governance:break_glass_report")))
    cells = [row.rsplit(">", 2)[-2].split("<")[0] for row in page.split("<tbody", 1)[1].split("</tr>")[:2]]
    assert cells == ["3", "2"], "the worker's use 3 days ago with its three pages, then the MASH screener's"
