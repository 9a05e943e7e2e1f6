"""Background jobs: the same functions run under the arq worker (REDIS_URL set, `fieldcrm
worker`) and in the web process (embedded default), on the same schedule (schedule.py)."""
