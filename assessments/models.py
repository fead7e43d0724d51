"""Whole-family Early Help Assessments: filled by its own issue; the app exists so the layout is complete."""
