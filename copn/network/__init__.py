"""The collaborator network: provinces, member organisations, volunteers."""
