"""How Spanish pages write numbers and dates, for Spanish readers in Los Angeles County.

Django's own Spanish (``es``) writes 1 234,5, as Spain does. Our readers are families in
Los Angeles who see English figures beside these, and Mexico writes 1,234.5 (Django's own
``es_MX`` formats, after the Mexican standard NOM-008-SCFI-2002), as the United States does;
the Real Academia Española's "Ortografía de la lengua española" (2010) recommends the point
as the decimal sign, to unify usage. So a figure reads the same in both languages.
Dates are written out, "1 de diciembre de 2026", which no reader can mistake; a short date
is "1 dic 2026" rather than 01/12/2026, which a reader used to U.S. forms takes for 12 January.
"""

DATE_FORMAT = r"j \d\e F \d\e Y"
TIME_FORMAT = "g:i a"
DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a"
YEAR_MONTH_FORMAT = r"F \d\e Y"
MONTH_DAY_FORMAT = r"j \d\e F"
# "b": the month abbreviated in lower case, as Spanish writes it ("M" would be "Dic").
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "j b Y, g:i a"
# Weeks start on Sunday on U.S. calendars, which our readers use.
FIRST_DAY_OF_WEEK = 0
# Typed dates: ISO first (what <input type="date"> sends); Django appends its ISO formats too.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
