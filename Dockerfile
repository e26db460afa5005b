# syntax=docker/dockerfile:1
# Production image for lacoe_kpi: one image, four roles (web, worker, beat,
# migrate); docker-compose.yml picks the role with `command:`.
FROM python:3.11-slim

# `pip install .` also puts the packages in site-packages; PYTHONPATH=/app keeps
# gunicorn, celery and manage.py on the one copy whose BASE_DIR finds
# templates/, static/ and fixtures/.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint (PDF reports) loads Pango/HarfBuzz through ctypes at runtime, so
# these have to be in the image before the Python package is added.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies alone first, from pyproject.toml only, so that editing the code
# does not reinstall them (this layer is rebuilt only when the pins change).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The compiled translations (locale/*/LC_MESSAGES/*.mo) are committed with their .po
# sources (tests/test_i18n_catalogue.py checks they match), so the image needs no gettext.
COPY . .
RUN pip install --no-cache-dir .

# settings.py refuses to start without SECRET_KEY when DEBUG is off, and the
# hashed manifest whitenoise serves is only built with DEBUG off. The dummy key
# is scoped to this one command so that it never reaches the image's environment.
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput

# The code stays root-owned (read-only to the app user); only uploads and
# generated reports need a writable place.
RUN mkdir -p /app/media && chown app:app /app/media

USER app

EXPOSE 8000

# No HEALTHCHECK here: worker, beat and migrate run this image too and serve no
# HTTP, so the web check lives on the web service in docker-compose.yml.
CMD ["gunicorn", "lacoe_kpi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
