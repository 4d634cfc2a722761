# backcare Telegram bot, single machine.
#   docker build -t backcare .
#   docker run -d --name backcare -e BACKCARE_TELEGRAM_TOKEN=... -v backcare-data:/data backcare
# or: docker compose up -d   (compose.yaml beside this file)
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BACKCARE_DATA_DIR=/data \
    BACKCARE_WEBHOOK_LISTEN=0.0.0.0

# MediaPipe's native code links against GLib; IPAex Gothic draws Japanese text in the
# annotated pictures and charts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libglib2.0-0 fonts-ipaexfont-gothic \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer: a change of code does not reinstall them.
# The same steps as ./run: the locked versions with their hashes, then MediaPipe
# without its declared extras (they would replace opencv-python-headless).
COPY requirements.lock requirements-mediapipe.lock ./
RUN pip install --require-hashes -r requirements.lock \
 && pip install --no-deps --require-hashes -r requirements-mediapipe.lock

# The project itself (the links in backcare/ point at these folders).
COPY pyproject.toml README.md LICENSE interview.yaml ./
COPY backcare ./backcare
COPY bot ./bot
COPY vision ./vision
COPY assessment ./assessment
COPY reasoning ./reasoning
COPY content ./content
COPY samples ./samples
RUN pip install --no-deps . && backcare check

# Run as an unprivileged user; data (the database, backups) lives in a volume
# that only this user can read.
RUN useradd --system --uid 10001 --home-dir /data backcare \
 && mkdir -p /data && chown backcare /data && chmod 700 /data
USER backcare
VOLUME ["/data"]

# Webhook mode (BACKCARE_MODE=webhook) listens on all of the container's addresses at
# this port; polling needs no port.
EXPOSE 8443
# Healthy while the bot's main loop beats (it writes /data/heartbeat every few seconds).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["backcare", "health"]
ENTRYPOINT ["backcare"]
CMD ["bot"]
