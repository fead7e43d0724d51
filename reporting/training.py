"""Training records: who completed which course, entered one at a time or imported from a spreadsheet (CSV).

The rules, in one place so the form, the import and their tests say the same thing:
- A course is one of TrainingRecord.Course, given by its code or its label; "other" needs the course's title.
- The date completed is a real date, not in the future; an import takes YYYY-MM-DD or DD/MM/YYYY.
- The practitioner's e-mail identifies them; a record is linked to the user with that e-mail when there is one.
- An agency is named exactly as in the directory; a team is one of the Local Area Teams by name; both may be empty.
- The same practitioner, course and date is recorded once: a duplicate of a record, or of an earlier row, is refused.
- An import checks every row, writes the good ones in one transaction and reports the rest (row, column, message).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from earlyhelp.accounts.models import User
from locality.models import Agency, LocalAreaTeam
from reporting.models import TrainingRecord

Course = TrainingRecord.Course
COLUMNS = ("practitioner_name", "practitioner_email", "agency", "team", "course", "course_title", "completed_on")
MAX_IMPORT_BYTES = 2 * 1024 * 1024
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
DUPLICATE = "This practitioner's completion of this course on this date is already recorded"
FUTURE = "The date completed cannot be in the future"
EXTRA = object()  # marks a row with more values than the header has columns
OTHER_TITLE = "Enter the course's title when the course is Other"


class TrainingImportError(Exception):
    """A file the import cannot read at all; the message is shown to the user."""


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    imported: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({error.row for error in self.errors})


# Selectors


def training_records(
    *, course: str = "", local_area_team=None, completed_from: date | None = None, completed_to: date | None = None
) -> QuerySet[TrainingRecord]:
    """Training records, newest first, narrowed by course, Local Area Team and dates completed when given."""
    records = TrainingRecord.objects.select_related("agency", "local_area_team")
    if course:
        records = records.filter(course=course)
    if local_area_team is not None:
        records = records.filter(local_area_team=local_area_team)
    if completed_from:
        records = records.filter(completed_on__gte=completed_from)
    if completed_to:
        records = records.filter(completed_on__lte=completed_to)
    return records


def training_counts_by_course(records: QuerySet[TrainingRecord]) -> list[tuple[str, int, int]]:
    """For each course, in the list's order: its label, how many records and how many practitioners (by e-mail)."""
    counts = {
        row["course"]: (row["records"], row["people"])
        for row in records.order_by()
        .values("course")
        .annotate(records=Count("id"), people=Count("practitioner_email", distinct=True))
    }
    return [(label, *counts.get(code, (0, 0))) for code, label in Course.choices]


def course_from_text(text: str) -> str | None:
    """The course a spreadsheet names by its code or its label (any case), or None."""
    wanted = " ".join(text.split()).casefold()
    for code, label in Course.choices:
        if wanted in (code.casefold(), label.casefold()):
            return code
    return None


# Services


def _users_by_email(emails) -> QuerySet[User]:
    """Users whose e-mail address, ignoring case, is one of `emails` (given in lower case), in a fixed order: the
    form and the import link a record to the first when two accounts differ only in case."""
    return User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails).order_by("full_name", "pk")


def _user_for(email: str) -> User | None:
    return _users_by_email([email.lower()]).first()


@transaction.atomic
def training_record_add(
    *,
    user,
    practitioner_name: str,
    practitioner_email: str,
    course: str,
    completed_on: date,
    agency: Agency | None = None,
    local_area_team: LocalAreaTeam | None = None,
    course_title: str = "",
) -> TrainingRecord:
    """Record one practitioner's completed course, linked to their user account when the e-mail has one."""
    email = practitioner_email.strip().lower()
    errors = {}
    if completed_on > timezone.localdate():
        errors["completed_on"] = FUTURE
    if course == Course.OTHER and not course_title.strip():
        errors["course_title"] = OTHER_TITLE
    if TrainingRecord.objects.filter(practitioner_email=email, course=course, completed_on=completed_on).exists():
        errors["course"] = DUPLICATE
    if errors:
        raise ValidationError(errors)
    record = TrainingRecord(
        practitioner_name=practitioner_name.strip(),
        practitioner_email=email,
        user=_user_for(email),
        agency=agency,
        local_area_team=local_area_team,
        course=course,
        course_title=course_title.strip(),
        completed_on=completed_on,
        source=TrainingRecord.Source.FORM,
        recorded_by=user,
    )
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # the same record saved by someone else a moment ago
        raise ValidationError({"course": DUPLICATE}) from None
    return record


def _rows_read(file) -> list[tuple[int, dict]]:
    """The file's rows under the column names, each with its row number in the spreadsheet (blank rows skipped)."""
    if file.size > MAX_IMPORT_BYTES:
        raise TrainingImportError("The file must be smaller than 2 MB")
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrainingImportError("The file must be a CSV file saved as UTF-8") from None
    if not text.strip():
        raise TrainingImportError("The file is empty")
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise TrainingImportError("The file must be a CSV file (comma-separated values)") from None
    header = [name.strip().lower() for name in lines[0]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise TrainingImportError(f"The first row must name the columns; missing: {', '.join(missing)}")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if any(cell.strip() for cell in cells):
            row = dict(zip(header, cells, strict=False))
            row[EXTRA] = len(cells) > len(header)
            rows.append((number, row))
    if not rows:
        raise TrainingImportError("The file has no rows below the column names")
    return rows


def _date_read(text: str) -> date | None:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


class _RowChecker:
    """Checks rows one at a time against the database (read once) and the rows before them."""

    def __init__(self, rows: list[tuple[int, dict]]) -> None:
        emails = {(row.get("practitioner_email") or "").strip().lower() for _, row in rows}
        names = {(row.get("agency") or "").strip() for _, row in rows} - {""}
        self.agencies = {agency.name: agency for agency in Agency.objects.filter(name__in=names)}
        self.teams = {team.name.casefold(): team for team in LocalAreaTeam.objects.all()}
        self.users: dict[str, User] = {}
        for user in _users_by_email(emails):
            self.users.setdefault(user.email_lower, user)
        self.seen = set(
            TrainingRecord.objects.filter(practitioner_email__in=emails).values_list(
                "practitioner_email", "course", "completed_on"
            )
        )
        self.today = timezone.localdate()

    def check(self, row: dict, number: int, *, user) -> tuple[TrainingRecord | None, list[RowError]]:
        value = {column: (row.get(column) or "").strip() for column in COLUMNS}
        errors: list[tuple[str, str]] = []
        if row[EXTRA]:
            errors.append(("", "The row has more values than there are columns"))
        name, email = value["practitioner_name"], value["practitioner_email"].lower()
        if not name:
            errors.append(("practitioner_name", "Enter the practitioner's name"))
        elif len(name) > 150:
            errors.append(("practitioner_name", "The name must be 150 characters or fewer"))
        try:
            validate_email(email)
            if len(email) > 254:
                raise ValidationError("too long")
        except ValidationError:
            errors.append(
                ("practitioner_email", "Enter an e-mail address in the correct format, like name@example.org")
            )
        agency = self.agencies.get(value["agency"]) if value["agency"] else None
        if value["agency"] and agency is None:
            errors.append(("agency", f"No agency is called '{value['agency']}': use its name exactly as listed"))
        team = self.teams.get(value["team"].casefold()) if value["team"] else None
        if value["team"] and team is None:
            names = ", ".join(sorted(t.name for t in self.teams.values()))
            errors.append(("team", f"The team must be one of {names}, or empty"))
        course = course_from_text(value["course"])
        if course is None:
            errors.append(("course", f"Unknown course '{value['course']}': use one of {', '.join(Course.values)}"))
        elif course == Course.OTHER and not value["course_title"]:
            errors.append(("course_title", OTHER_TITLE))
        if len(value["course_title"]) > 200:
            errors.append(("course_title", "The course title must be 200 characters or fewer"))
        completed_on = _date_read(value["completed_on"])
        if completed_on is None:
            errors.append(("completed_on", "Enter the date completed as YYYY-MM-DD or DD/MM/YYYY, like 2026-03-31"))
        elif completed_on > self.today:
            errors.append(("completed_on", FUTURE))
        if course and completed_on and not errors:
            key = (email, course, completed_on)
            if key in self.seen:
                errors.append(("", DUPLICATE))
            self.seen.add(key)
        if errors:
            return None, [RowError(number, column, message) for column, message in errors]
        record = TrainingRecord(
            practitioner_name=name,
            practitioner_email=email,
            user=self.users.get(email),
            agency=agency,
            local_area_team=team,
            course=course,
            course_title=value["course_title"],
            completed_on=completed_on,
            source=TrainingRecord.Source.IMPORT,
            recorded_by=user,
        )
        return record, []


def training_import(*, user, file) -> ImportResult:
    """Import a CSV of completed courses: every row checked, the good ones written together (all or none of them
    if something fails while writing), the rest reported by row, column and message."""
    rows = _rows_read(file)
    checker = _RowChecker(rows)
    result = ImportResult(rows=len(rows))
    good = []
    for number, row in rows:
        record, errors = checker.check(row, number, user=user)
        result.errors.extend(errors)
        if record is not None:
            good.append(record)
    try:
        with transaction.atomic():
            bulk_create_with_history(good, TrainingRecord, default_user=user)
    except IntegrityError:  # someone recorded one of these rows while the file was being checked
        raise TrainingImportError("Some of these records were added by someone else just now: try again") from None
    result.imported = len(good)
    return result
