"""Administration: accounts, roles and the audit log."""
