"""The ground floor every part of Navbat stands on, and that imports none of them.

The branch file (`config`), Persian digits and Jalali dates (`persian`), gettext
catalogues (`i18n`, `locale/`), where fonts, sounds and icons are (`assets`),
Persian shaping for Kivy (`shaping`), how waits are worded (`wording`), spoken calls
(`speech`) and the one client of the hub's API (`hub_client`).
"""
