"""Forms of the reporting app, one module per area."""
