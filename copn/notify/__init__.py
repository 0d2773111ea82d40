"""Notifications and mail, delivered through a transactional outbox."""
