FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY sync ./sync
COPY pwa ./pwa
RUN pip install --no-cache-dir .
ENV FIELDCRM_DATA_DIR=/data
EXPOSE 8000
CMD ["fieldcrm", "serve", "--host", "0.0.0.0", "--port", "8000"]
