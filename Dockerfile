# One image for the three services; docker-compose picks the service with `command`.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml requirements.lock ./
COPY shared ./shared
COPY services ./services
COPY sysaccess ./sysaccess
RUN pip install --no-cache-dir -c requirements.lock . \
    && useradd --system --uid 10001 sysaccess
USER sysaccess
EXPOSE 8001 8002 8003
CMD ["python", "-m", "services.request_intake"]
