"""The demo branch file shipped with Navbat (navbat.foundation.config.DEFAULT_CONFIG)."""
