"""The plan's content in English and Spanish (issue 18), with django-modeltranslation.

Why this library: it keeps each translation in the same row (`name_en`, `name_es` beside
`name`), so every page reads the same rows with the same queries in either language, and
the admin shows both versions of a field side by side. django-parler, the other well-kept
choice, keeps translations in a table per model: a join or a query more on every page that
lists pillars or metrics, whose query counts our tests pin.

English is the source (MODELTRANSLATION_DEFAULT_LANGUAGE); reading `pillar.name` gives the
active language's text, and the English one where the Spanish is missing
(MODELTRANSLATION_FALLBACK_LANGUAGES); pages mark that English text with lang="en"
(metrics/templatetags/content.py). The history tables carry both versions too, so a
change to either is recorded.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Goal, Pillar, PriorityArea, Program, StrategicPlan

PLAN_FIELDS = ("name", "organisation", "mission", "vision", "values", "introduction")
PILLAR_FIELDS = ("name", "commitment")
AREA_FIELDS = ("name", "description")
GOAL_FIELDS = ("statement",)
PROGRAM_FIELDS = ("name", "description")


def _register(model, fields):
    options = type(f"{model.__name__}TranslationOptions", (TranslationOptions,),
                   {"fields": fields})
    register(model)(options)
    register(model.history.model)(
        type(f"Historical{model.__name__}TranslationOptions", (TranslationOptions,),
             {"fields": fields}))


_register(StrategicPlan, PLAN_FIELDS)
_register(Pillar, PILLAR_FIELDS)
_register(PriorityArea, AREA_FIELDS)
_register(Goal, GOAL_FIELDS)
_register(Program, PROGRAM_FIELDS)
