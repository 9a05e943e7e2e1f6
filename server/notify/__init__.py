"""Outgoing notifications: VAPID keys and Web Push delivery (RFC 8030 / 8291 / 8292)."""
