"""The read-only JSON API (/api/v1/, issue 17), built on Django REST framework.

Why Django REST framework + drf-spectacular rather than django-ninja: our filters are
already django-filter FilterSets, which DRF's filter backend uses as they are (and
drf-spectacular documents them in the schema); drf-spectacular-sidecar serves Swagger
UI from our own static files, so the documentation page loads nothing from another
host under our CSP; and DRF's authentication classes let one small class read our
hashed tokens. django-ninja would need its own filter schemas beside the FilterSets.

- visibility.py  who sees which plans, metrics and values (the one place; published
                 values pass through `published_readings` / `published_snapshots`)
- auth.py        `Authorization: Token <token>` or `Bearer <token>`
- filters.py     the filters, validated (a bad value is a 400 naming the field)
- serializers.py what each row shows (never an e-mail, a pending or a returned value)
- views.py       thin read-only viewsets, paginated
- urls.py        /api/v1/..., the OpenAPI 3 schema and its documentation page
"""
