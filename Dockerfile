# Early Help web, worker and beat image.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static ./static
RUN npm run build:css

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
# WeasyPrint renders PDFs with Pango and HarfBuzz; the print stylesheet's font is DejaVu Sans.
# postgresql-client: pg_dump and pg_restore for scripts/backup.py (Debian 12's 15, as the compose file's PostgreSQL).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml constraints.txt ./
COPY . .
COPY --from=assets /app/node_modules/govuk-frontend ./node_modules/govuk-frontend
COPY --from=assets /app/static/build ./static/build
RUN pip install --no-cache-dir -c constraints.txt . \
    && DJANGO_SECRET_KEY=collectstatic-only-$(head -c 40 /dev/urandom | base64 | tr -d '/+=') \
       python manage.py collectstatic --noinput \
    && useradd --system --home /app earlyhelp && mkdir -p /app/media /app/beat /app/backups && chown earlyhelp /app/media /app/beat /app/backups
USER earlyhelp
EXPOSE 8000
# gunicorn reads its number of worker processes from WEB_CONCURRENCY; no access log (the app logs requests).
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "earlyhelp.wsgi:application", "--bind", "0.0.0.0:8000", "--threads", "4", "--timeout", "30", \
     "--graceful-timeout", "30"]
