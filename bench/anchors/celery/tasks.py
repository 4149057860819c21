"""The Celery anchor of the async-throughput row: one trivial task, the Celery setup the
classic "web tier + RabbitMQ + Celery" stacks run: prefork workers, acks_late, the rpc result
backend, publisher confirms (a task counts as accepted once RabbitMQ confirmed it, as Fjord's
202 does). Configured from the environment by bench/anchors/celery-anchor.ts."""
import os

from celery import Celery

app = Celery("fjord_bench", broker=os.environ["BENCH_AMQP_URL"], backend="rpc://")
app.conf.update(
    task_acks_late=True,
    task_default_queue=os.environ["BENCH_CELERY_QUEUE"],
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_transport_options={"confirm_publish": True},
    worker_hijack_root_logger=False,
)


@app.task
def noop(n):
    return {"ok": True, "n": n}
