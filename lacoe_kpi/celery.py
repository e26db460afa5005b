import functools
import logging
import os

from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")

app = Celery("lacoe_kpi")
# Every Celery option lives in Django settings under the CELERY_ prefix, so the
# embedded default (eager tasks) and the Redis deployment differ only in env vars.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


def _survive_broker_loss(restore_unacked):
    """Keep a worker alive when Redis drops while it holds a reserved task.

    Celery 5.7.0's consumer, on losing the broker, collects the connection (which
    drops the transport's client) and then closes it; closing the Redis channel
    restores its unacknowledged messages through that missing client, and kombu
    5.7.0 raises AttributeError ('NoneType' object has no attribute 'hostname'),
    which ends the worker ("Unrecoverable error"). With no client left there is no
    Redis to restore to: the messages stay in Redis's unacked set, and a worker
    hands them out again after the visibility timeout, as it does for a killed
    worker's. tests/test_live_services.py restarts Redis under a worker to check.
    """

    @functools.wraps(restore_unacked)
    def restore_unless_collected(self, client=None):
        if client is None and getattr(self.channel.connection, "client", None) is None:
            log.warning("Broker connection lost: %s unacknowledged message(s) are left to "
                        "Redis's visibility timeout", len(self._delivered))
            self._delivered.clear()
            return None
        return restore_unacked(self, client)

    restore_unless_collected.survives_broker_loss = True
    return restore_unless_collected


if not getattr(kombu_redis.QoS.restore_unacked, "survives_broker_loss", False):
    kombu_redis.QoS.restore_unacked = _survive_broker_loss(kombu_redis.QoS.restore_unacked)
