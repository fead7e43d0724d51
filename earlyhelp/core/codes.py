"""Code lists that more than one app uses."""

from django.db import models


class SupportingFamiliesHeadline(models.TextChoices):
    """The ten Supporting Families headline outcome areas: needs in assessments, categories in the directory."""

    EDUCATION = "education", "Getting a good education"
    EARLY_YEARS = "early_years", "Good early years development"
    HEALTH = "health", "Improved mental and physical health"
    SUBSTANCE_USE = "substance_use", "Promoting recovery and reducing harm from substance use"
    RELATIONSHIPS = "relationships", "Improved family relationships"
    SAFE_FROM_ABUSE = "safe_from_abuse", "Children safe from abuse and exploitation"
    CRIME = "crime", "Crime prevention and tackling crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Safe from domestic abuse"
    HOUSING = "housing", "Secure housing"
    FINANCES = "finances", "Financial stability"


class LevelOfNeed(models.IntegerChoices):
    """York's threshold: recorded on the assessment, the contact decision and the episode."""

    UNIVERSAL = 1, "1: universal"
    ADDITIONAL = 2, "2: additional needs"
    TARGETED = 3, "3: targeted or complex"
    SPECIALIST = 4, "4: specialist or statutory"
