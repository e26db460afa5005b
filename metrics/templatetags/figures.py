from django import template

register = template.Library()


@register.simple_tag
def figure(metric, value, qualifier=""):
    """A value of `metric` written as the report writes it: "over 9,018", "$2.5 million"."""
    return metric.format(value, qualifier)
