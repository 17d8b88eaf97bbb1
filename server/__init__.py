"""The Navbat hub: numbers tickets, keeps every counter's state, pushes live events.

`server.app.create_app(config)` builds the Flask app; this package itself imports
nothing heavy so the pure parts (storage, floor) can be used without Flask.
"""
