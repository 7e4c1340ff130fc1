"""A worker of the live queue alone keeps its unacknowledged messages in memory, not in Redis's
unacked hash; a worker with batch jobs keeps them there, to deliver them again (webapp/celery.py)."""
import types
import uuid

import pytest
import redis
from django.conf import settings
from kombu import Connection, Exchange, Queue

from webapp.celery import app, live_worker_acks_in_memory


@pytest.mark.parametrize("queues, copied", [(["live"], False), (["batch"], True), (["batch", "live"], True)])
def test_only_a_live_worker_leaves_no_unacked_copy_in_redis(queues, copied):
    conf = types.SimpleNamespace(broker_transport_options=dict(app.conf.broker_transport_options))
    live_worker_acks_in_memory(conf=conf, options={"queues": queues})

    name = f"acks-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    with Connection(settings.CELERY_BROKER_URL, transport_options=conf.broker_transport_options) as connection:
        queue = Queue(name, Exchange(name), routing_key=name)(connection.default_channel)
        queue.declare()
        try:
            with connection.Producer() as producer:
                producer.publish({"frame": 1}, exchange=queue.exchange, routing_key=name)
            message = queue.get(no_ack=False)
            assert message is not None and message.payload == {"frame": 1}
            assert client.hexists("unacked", message.delivery_tag) is copied
            message.ack()
            assert not client.hexists("unacked", message.delivery_tag)
        finally:
            queue.delete()
