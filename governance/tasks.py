"""Background jobs of information governance: each calls a service (see the beat schedule in settings)."""
