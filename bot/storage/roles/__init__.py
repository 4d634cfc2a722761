"""The storage contract by role: each module declares one part of :class:`Storage`.

``users`` (profiles, dialog state, the adapter's session, assessments, check-ins),
``inbox`` (updates saved before they are handled), ``outbox`` (replies saved before
they are sent), ``reminders``, ``audit`` (admin actions) and ``photos`` (kept with
consent). :class:`backcare.bot.storage.base.Storage` is all of them plus what spans
them (erase, export, statistics, transactions, sync, close); every backend implements
the whole of it.

The dicts the roles keep (states, sessions, reports, check-ins, plans, replies, updates)
are JSON: one that is not JSON-safe (a datetime, NaN, a lone surrogate) is refused with
:class:`~backcare.bot.storage.errors.StorageError` and changes nothing. What a method
returns is the caller's copy.
"""

from backcare.bot.storage.roles.audit import Audit
from backcare.bot.storage.roles.inbox import Inbox
from backcare.bot.storage.roles.outbox import Outbox
from backcare.bot.storage.roles.photos import Photos
from backcare.bot.storage.roles.reminders import Reminders
from backcare.bot.storage.roles.users import Users

ROLES: tuple[type, ...] = (Users, Inbox, Outbox, Reminders, Audit, Photos)

__all__ = ["ROLES", "Audit", "Inbox", "Outbox", "Photos", "Reminders", "Users"]
