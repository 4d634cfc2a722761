"""What one running bot is made of, in ``app.bot_data["backcare"]`` (built by bot/app.py).

A module of its own so the parts that reach the running bot (bot/replicas.py) need not
import the wiring that builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backcare.bot.config import BotConfig
from backcare.bot.disk_pool import DiskPool
from backcare.bot.handlers import Handlers
from backcare.bot.health import StorageHealth
from backcare.bot.intake import Intake
from backcare.bot.outbox import Outbox
from backcare.bot.storage import Storage
from backcare.bot.timers import Scheduler
from backcare.bot.turns import Turns
from backcare.kernel.catalogue import Catalogue


@dataclass
class BotRuntime:
    config: BotConfig
    storage: Storage
    disk: DiskPool
    texts: Catalogue
    outbox: Outbox
    health: StorageHealth
    scheduler: Scheduler
    conversation: Turns
    handlers: Handlers
    intake: Intake
