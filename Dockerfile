# One image for the three services; docker-compose picks the service with `command`.
# Dependencies are installed in a layer of their own, from the lock, before the sources are
# copied: a code change rebuilds only the last layers. Runtime dependencies only: the
# benchmark, test and local-runner libraries are extras the image does not carry.
FROM python:3.11.11-slim AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml requirements.lock ./
RUN python -m venv /venv \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && /venv/bin/pip install -c requirements.lock -r runtime.txt

FROM python:3.11.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH
RUN useradd --system --uid 10001 sysaccess
COPY --from=deps /venv /venv
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY sysaccess ./sysaccess
RUN pip install --no-deps --no-cache-dir --disable-pip-version-check . && rm -rf build
USER sysaccess
EXPOSE 8001 8002 8003
CMD ["python", "-m", "services.request_intake"]
