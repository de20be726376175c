# Yulelog: one process, one SQLite event log on a volume. Build: docker build -t yulelog .
# Run: docker run -v yulelog-data:/data --env-file .env yulelog            (gateway mode)
#      docker run -p 8080:8080 -v yulelog-data:/data --env-file .env yulelog serve
FROM python:3.11-slim

# espeak-ng is the offline speech default; no other system packages are needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 yulelog
WORKDIR /srv/yulelog

COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
COPY app ./app
COPY eventstore ./eventstore
COPY scripts ./scripts
RUN pip install --no-cache-dir --no-deps .

# The log lives on a volume: redeploys never lose or reset state (no state files in the image).
RUN mkdir -p /data && chown yulelog /data
VOLUME ["/data"]
ENV YULELOG_DB=/data/yulelog.db \
    BACKUP_DIR=/data/backups \
    PYTHONUNBUFFERED=1
USER yulelog
EXPOSE 8080
ENTRYPOINT ["python", "-m", "app"]
CMD ["run"]
