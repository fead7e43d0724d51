"""York's three Local Area Teams, the wards they cover and the postcode districts that route to them."""

import uuid

from django.db import migrations

TEAMS = {
    "tang-hall": ("Tang Hall", "Tang Hall Children's Centre"),
    "hob-moor": ("Hob Moor", "Hob Moor Children's Centre"),
    "clifton": ("Clifton", "Clifton Children's Centre"),
}
WARDS = {
    "tang-hall": [
        "Fishergate",
        "Fulford and Heslington",
        "Heworth",
        "Heworth Without",
        "Hull Road",
        "Osbaldwick and Derwent",
        "Wheldrake",
    ],
    "hob-moor": [
        "Acomb",
        "Bishopthorpe",
        "Copmanthorpe",
        "Dringhouses and Woodthorpe",
        "Holgate",
        "Micklegate",
        "Rural West York",
        "Westfield",
    ],
    "clifton": [
        "Clifton",
        "Guildhall",
        "Haxby and Wigginton",
        "Huntington and New Earswick",
        "Rawcliffe and Clifton Without",
        "Strensall",
    ],
}
# Postcode districts routed to each team; a manager can add sectors (like "YO31 9") in the admin.
DISTRICTS = {
    "tang-hall": ["YO10", "YO19", "YO31", "YO41"],
    "hob-moor": ["YO23", "YO24", "YO26"],
    "clifton": ["YO1", "YO30", "YO32", "YO60", "YO61"],
}


def add_teams(apps, schema_editor):
    LocalAreaTeam = apps.get_model("locality", "LocalAreaTeam")
    Ward = apps.get_model("locality", "Ward")
    PostcodeSector = apps.get_model("locality", "PostcodeSector")
    for slug, (name, base) in TEAMS.items():
        team, _ = LocalAreaTeam.objects.get_or_create(
            slug=slug, defaults={"name": name, "base": base, "uuid": uuid.uuid4()}
        )
        for ward in WARDS[slug]:
            Ward.objects.get_or_create(name=ward, defaults={"local_area_team": team, "uuid": uuid.uuid4()})
        for district in DISTRICTS[slug]:
            PostcodeSector.objects.get_or_create(
                code=district, defaults={"local_area_team": team, "uuid": uuid.uuid4()}
            )


def remove_teams(apps, schema_editor):
    apps.get_model("locality", "PostcodeSector").objects.filter(local_area_team__slug__in=TEAMS).delete()
    apps.get_model("locality", "Ward").objects.filter(local_area_team__slug__in=TEAMS).delete()
    apps.get_model("locality", "LocalAreaTeam").objects.filter(slug__in=TEAMS).delete()


class Migration(migrations.Migration):
    dependencies = [("locality", "0001_initial")]
    operations = [migrations.RunPython(add_teams, remove_teams)]
