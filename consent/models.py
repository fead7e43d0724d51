"""Consent and information sharing: filled by its own issue; the app exists so the layout is complete."""
