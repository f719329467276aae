"""One router module per resource; each exposes a ``create_*_router`` factory."""
