"""The web back-office and the HTTP API (CONTRACT §6): `services.web.app.create_app`."""
