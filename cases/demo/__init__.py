"""Synthetic demo data for `manage.py seed_demo`: York's agencies, teams and demo users (`staff`), the service
directory (`directory`), N families with consent (`families`), partner grants and MASH contacts (`front_door`), and
the work of early help episodes (`casework`). Everything is made up and deterministic for a given seed."""
