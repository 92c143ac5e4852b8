# The hub's image: one image, two commands (inbox serve / inbox worker).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY inbox ./inbox
COPY connectors ./connectors
COPY routing ./routing
COPY crm_sync ./crm_sync
RUN pip install --no-cache-dir . && useradd --system --uid 10001 inbox
USER inbox
EXPOSE 8080
CMD ["inbox", "serve"]
