"""The Flask side: app factory, callback endpoint, request guards, health, tracked links, JSON API, console."""
