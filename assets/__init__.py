"""Fonts (Vazirmatn, OFL), call sounds and unit icons, shipped as package data (navbat.foundation.assets)."""
