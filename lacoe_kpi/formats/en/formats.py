"""How English pages write short dates: "1 Dec 2026" and "1 Dec 2026, 14:05", day first
and the month in letters, as the Spanish pages do (lacoe_kpi/formats/es/formats.py), so
no reader takes 01/12 for 12 January or the other way round. Only the short formats are
ours; every other English format stays Django's own."""

SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
