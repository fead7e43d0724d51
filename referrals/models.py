"""MASH contacts and referrals: filled by its own issue; the app exists so the layout is complete."""
