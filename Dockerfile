# backcare Telegram bot.
#   docker build -t backcare .
#   docker run -d --name backcare -e BACKCARE_TELEGRAM_TOKEN=... -v backcare-data:/data backcare
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BACKCARE_DATA_DIR=/data \
    BACKCARE_HOME=/app

# MediaPipe's native code links against GLib; nothing else from the system is needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backcare ./backcare
COPY bot ./bot
COPY vision ./vision
COPY assessment ./assessment
COPY reasoning ./reasoning
COPY content ./content
COPY samples ./samples
COPY interview.yaml ./

# The same two steps as ./run: pinned dependencies, then MediaPipe without its
# declared extras (they would replace opencv-python-headless).
RUN pip install . \
 && pip install --no-deps "mediapipe==0.10.21"

# Run as an unprivileged user; data (the database, backups) lives in a volume
# that only this user can read.
RUN useradd --system --uid 10001 --home-dir /data backcare \
 && mkdir -p /data && chown backcare /data && chmod 700 /data
USER backcare
VOLUME ["/data"]

# Webhook mode listens here (BACKCARE_MODE=webhook); polling needs no port.
EXPOSE 8443
ENTRYPOINT ["backcare"]
CMD ["bot"]
