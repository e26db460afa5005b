import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from metrics.models import District, DistrictKind, Metric, Reading, StudentGroup
from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicPlan

    organisation = "Test County Office of Education"
    name = factory.Sequence(lambda n: f"Test plan {n}")
    slug = factory.Sequence(lambda n: f"test-plan-{n}")
    start_year = 2022
    end_year = 2025
    mission = "Test mission."
    vision = "Test vision."


class PillarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pillar

    plan = factory.SubFactory(PlanFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Pillar {n}")
    slug = factory.Sequence(lambda n: f"pillar-{n}")
    commitment = "We will test."


class PriorityAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityArea

    pillar = factory.SubFactory(PillarFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Area {n}")


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    priority_area = factory.SubFactory(PriorityAreaFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"goal-{n}")
    statement = factory.Sequence(lambda n: f"Goal {n}")


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    plan = factory.LazyAttribute(lambda m: m.pillar.plan if m.pillar else PlanFactory())
    pillar = factory.SubFactory(PillarFactory)
    code = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "count"


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    metric = factory.SubFactory(MetricFactory)
    period = "2023-24"
    value = 10
    # Published figures by default; tests of the approval flow set state themselves.
    state = "approved"
    approved_value = factory.LazyAttribute(lambda r: r.value if r.state == "approved" else None)
    district = factory.LazyFunction(lambda: District.objects.total())
    student_group = factory.LazyFunction(lambda: StudentGroup.objects.total())


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"District {n}")
    kind = DistrictKind.DISTRICT
