"""Code lists used for people: the DfE CIN census ethnicity codes and Annex A gender codes."""

from django.db import models


class Ethnicity(models.TextChoices):
    WBRI = "WBRI", "White British"
    WIRI = "WIRI", "White Irish"
    WIRT = "WIRT", "Traveller of Irish heritage"
    WOTH = "WOTH", "Any other White background"
    WROM = "WROM", "Gypsy or Roma"
    MWBC = "MWBC", "White and Black Caribbean"
    MWBA = "MWBA", "White and Black African"
    MWAS = "MWAS", "White and Asian"
    MOTH = "MOTH", "Any other mixed background"
    AIND = "AIND", "Indian"
    APKN = "APKN", "Pakistani"
    ABAN = "ABAN", "Bangladeshi"
    AOTH = "AOTH", "Any other Asian background"
    BCRB = "BCRB", "Black Caribbean"
    BAFR = "BAFR", "Black African"
    BOTH = "BOTH", "Any other Black background"
    CHNE = "CHNE", "Chinese"
    OOTH = "OOTH", "Any other ethnic group"
    REFU = "REFU", "Refused"
    NOBT = "NOBT", "Information not yet obtained"


class Sex(models.TextChoices):
    """Annex A gender codes: a male, b female, c not stated, d neither."""

    MALE = "male", "Male"
    FEMALE = "female", "Female"
    NOT_STATED = "not_stated", "Not stated or not known"
    NEITHER = "neither", "Neither"

    @property
    def annex_a_code(self) -> str:
        return {"male": "a", "female": "b", "not_stated": "c", "neither": "d"}[self.value]


class SenStatus(models.TextChoices):
    NONE = "none", "No special educational needs"
    SEN_SUPPORT = "sen_support", "SEN support"
    EHCP = "ehcp", "Education, health and care plan"
