# One image for web, worker and beat (see docker-compose.yml and docs/operations.md).
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAR_DIR=/app/var

# pg_dump and pg_restore for `manage.py backup` / `restore`. They must be of the server's major
# version or newer: Debian 13 ships 17, the compose file runs PostgreSQL 16.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
# The volume mount points exist, owned by the app user, so that new volumes start writable.
RUN DJANGO_ENV=production SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    SITE_URL=http://localhost python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 app \
 && mkdir -p /app/var/media /app/var/private/files /app/var/private/learner-imports \
 && chmod 700 /app/var/private /app/var/private/learner-imports \
 && chown -R app /app/var

USER app
EXPOSE 8000
# Gunicorn: WEB_CONCURRENCY processes (default 2 x cores + 1) of GUNICORN_THREADS threads
# (default 2). Each thread may hold a database connection: keep processes x threads, for every
# web container, below PostgreSQL's max_connections (100 by default).
# Behind a reverse proxy: FORWARDED_ALLOW_IPS lists the proxy's addresses, whose X-Forwarded-*
# headers gunicorn trusts (gunicorn's default: 127.0.0.1 and ::1; "*" only when nothing but the
# proxy can reach port 8000). Also set TRUSTED_PROXY_COUNT to the number of proxies in front, so
# the site reads the client's address (log-in limits, audit log) from X-Forwarded-For; with 0 it
# ignores that header, which anyone can forge when no proxy sets it.
CMD ["sh", "-c", "exec gunicorn platform_app.wsgi --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-$(( $(nproc) * 2 + 1 ))} --threads ${GUNICORN_THREADS:-2} --forwarded-allow-ips ${FORWARDED_ALLOW_IPS:-127.0.0.1,::1} --access-logfile -"]
