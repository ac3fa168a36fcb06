# pingsvc: one image for the web server, the worker and the scheduler.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PINGSVC_VAR_DIR=/var/lib/pingsvc
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pingsvc ./pingsvc
COPY worker ./worker
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/pingsvc pingsvc \
    && mkdir -p /var/lib/pingsvc && chown pingsvc /var/lib/pingsvc
USER pingsvc
EXPOSE 8080
CMD ["pingsvc", "web", "--host", "0.0.0.0", "--port", "8080"]
