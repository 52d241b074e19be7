# The service image: used by docker-compose.yml for the one-shot migration and seed, the Rutter
# stand-in, the API and the demo step (devrun/compose.py).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY seed ./seed
COPY sandbox ./sandbox
COPY devrun ./devrun
COPY prisma ./prisma
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--http", "api.server:LimitedHttpToolsProtocol", "--host", "0.0.0.0", "--port", "8000"]
