"""Demo data for development: the founding members and one account per role."""
