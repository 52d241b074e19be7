# Two targets. The default (the last stage) is the service alone: the API, its Prisma client and that
# client's runtime, the migrations (`python -m api.db migrate`), `python -m api.keys`; no development
# tool. `--target dev` adds the development packages docker-compose.yml runs next to it: the demo
# seed (`python -m seed`), the Rutter stand-in (`python -m sandbox`) and the compose steps
# (`python -m devrun.compose`, with devkit).
FROM python:3.11-slim AS service
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY prisma_asyncpg ./prisma_asyncpg
COPY prisma ./prisma
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--http", "api.server:LimitedHttpToolsProtocol", "--host", "0.0.0.0", "--port", "8000"]

FROM service AS dev
COPY seed ./seed
COPY sandbox ./sandbox
COPY devkit ./devkit
COPY devrun ./devrun

FROM service
