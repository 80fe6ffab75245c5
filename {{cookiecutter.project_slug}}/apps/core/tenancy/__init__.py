"""Tenant routing: each request host is served from its own database alias."""
