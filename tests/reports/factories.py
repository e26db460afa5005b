import datetime

import factory
from django.utils import timezone

from reports.models import ExportJob, Highlight

from ..factories import PillarFactory, UserFactory


class HighlightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Highlight

    pillar = factory.SubFactory(PillarFactory)
    plan = factory.LazyAttribute(lambda h: h.pillar.plan)
    school_year = "2023-24"
    body = "We **did** a lot."


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportJob
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    plan = factory.LazyAttribute(lambda j: PillarFactory().plan)
    school_year = "2023-24"
    format = "csv"
    progress_total = 2
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=24))

    @factory.post_generation
    def pillars(self, create, extracted, **kwargs):
        if create:
            self.pillars.set(extracted if extracted is not None else self.plan.pillars.all())
