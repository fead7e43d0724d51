"""Indicators, statutory returns and case audits: filled by its own issue; the app exists so the layout is complete."""
