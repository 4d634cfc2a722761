"""BotConfig: every setting from the environment, every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.bot.config import BotConfig, ConfigError

TOKEN = "123456:ABCdefGHIjklMNOpqr_-"


def config(**env) -> BotConfig:
    return BotConfig.from_env({"BACKCARE_TELEGRAM_TOKEN": TOKEN, **env})


def test_defaults_are_polling_and_private():
    c = config()
    assert c.mode == "polling" and c.webhook_url is None
    assert c.max_photo_mb == 10 and c.max_photo_bytes == 10 * 1024 * 1024
    assert not c.keep_photos and c.admin_ids == frozenset()
    assert c.data_dir == Path("data") and c.workers == 1


def test_every_setting_is_read():
    c = config(
        BACKCARE_MODE="webhook",
        BACKCARE_WEBHOOK_URL="https://bot.example.org/tg/hook",
        BACKCARE_WEBHOOK_SECRET="s3cret_-X",
        BACKCARE_WEBHOOK_LISTEN="0.0.0.0",
        BACKCARE_WEBHOOK_PORT="9000",
        BACKCARE_DATA_DIR="/srv/backcare",
        BACKCARE_ADMIN_IDS=" 11, 22 ,",
        BACKCARE_MAX_PHOTO_MB="2.5",
        BACKCARE_KEEP_PHOTOS="yes",
        BACKCARE_WORKERS="2",
        BACKCARE_API_BASE_URL="http://127.0.0.1:8081/bot",
        BACKCARE_API_FILE_URL="http://127.0.0.1:8081/file/bot",
    )
    assert (c.mode, c.webhook_path, c.webhook_secret) == ("webhook", "/tg/hook", "s3cret_-X")
    assert (c.webhook_listen, c.webhook_port, c.data_dir) == (
        "0.0.0.0",
        9000,
        Path("/srv/backcare"),
    )
    assert c.admin_ids == {11, 22} and c.max_photo_bytes == int(2.5 * 1024 * 1024)
    assert c.keep_photos and c.workers == 2
    assert c.api_base_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    "env, names",
    [
        ({"BACKCARE_TELEGRAM_TOKEN": ""}, "BACKCARE_TELEGRAM_TOKEN is not set"),
        ({"BACKCARE_TELEGRAM_TOKEN": "nonsense"}, "does not look like a bot token"),
        ({"BACKCARE_MODE": "push"}, "BACKCARE_MODE"),
        ({"BACKCARE_MODE": "webhook"}, "BACKCARE_WEBHOOK_URL is required"),
        (
            {
                "BACKCARE_MODE": "webhook",
                "BACKCARE_WEBHOOK_URL": "http://x.org/h",
                "BACKCARE_WEBHOOK_SECRET": "abc",
            },
            "https",
        ),
        (
            {"BACKCARE_MODE": "webhook", "BACKCARE_WEBHOOK_URL": "https://x.org/h"},
            "BACKCARE_WEBHOOK_SECRET is required",
        ),
        ({"BACKCARE_WEBHOOK_SECRET": "has space"}, "A-Z a-z 0-9"),
        ({"BACKCARE_WEBHOOK_PORT": "70000"}, "BACKCARE_WEBHOOK_PORT must be between"),
        ({"BACKCARE_ADMIN_IDS": "11,@boss"}, "'@boss' is not one"),
        ({"BACKCARE_MAX_PHOTO_MB": "25"}, "at most 20"),
        ({"BACKCARE_MAX_PHOTO_MB": "0"}, "above 0"),
        ({"BACKCARE_MAX_PHOTO_MB": "ten"}, "must be a number"),
        ({"BACKCARE_KEEP_PHOTOS": "maybe"}, "BACKCARE_KEEP_PHOTOS"),
        ({"BACKCARE_API_BASE_URL": "ftp://x"}, "BACKCARE_API_BASE_URL"),
    ],
)
def test_mistakes_are_refused_naming_the_variable(env, names):
    with pytest.raises(ConfigError, match=names):
        config(**env)


def test_config_errors_are_value_errors_for_the_cli():
    assert issubclass(ConfigError, ValueError)


def test_the_token_and_secret_never_show_in_repr():
    c = config(BACKCARE_WEBHOOK_SECRET="topsecretvalue")
    assert TOKEN not in repr(c) and "topsecretvalue" not in repr(c)


def test_a_stop_gives_8_s_unless_told_otherwise():
    assert config().stop_grace == 8.0
    assert config(BACKCARE_STOP_GRACE="2.5").stop_grace == 2.5
    for wrong in ("soon", "-1", "nan", "inf", "601"):
        with pytest.raises(ConfigError, match="BACKCARE_STOP_GRACE"):
            config(BACKCARE_STOP_GRACE=wrong)
