"""Gunicorn settings for COPN's web processes.

Run from the checkout: ``gunicorn -c deploy/gunicorn.conf.py`` (see
deploy/systemd/copn-web.service). GUNICORN_CMD_ARGS overrides what is set here,
for example ``--bind 10.0.0.11:8000`` on a web machine that nginx reaches over the
network.
"""

import os

wsgi_app = "wsgi:app"
proc_name = "copn-web"

# Loopback only: nginx terminates TLS and forwards here.
bind = "127.0.0.1:8000"

# Sync workers, about two per core: measured here, two sync workers served database
# pages better and more steadily than 2x2 gthread. A sync worker holds one request at
# a time, so it must sit behind a buffering proxy (nginx) that absorbs slow clients.
# WEB_CONCURRENCY overrides the count.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0))))

# Each worker builds the app after forking, so no database or Redis connection is
# shared between workers, and a reload (SIGHUP) starts workers on the new code.
preload_app = False

# A request that takes longer than this has its worker killed and replaced.
timeout = 30
# On reload or stop, workers get this long to finish their current request.
graceful_timeout = 30
# Replace workers now and then, staggered, in case something leaks slowly.
max_requests = 2000
max_requests_jitter = 200

# Trust X-Forwarded-Proto only from the proxy (nginx on the same machine); the app's
# ProxyFix (COPN_TRUSTED_PROXIES) reads X-Forwarded-For, -Proto and -Host.
forwarded_allow_ips = "127.0.0.1,::1"

# Both logs go to the journal. The access log leaves out query strings and referrers
# (they may hold search terms) and client addresses (nginx logs those); the request
# id matches the app's log records and nginx's access log.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = (
    '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms req=%({x-request-id}o)s %(p)s'
)

# systemd restarts and reloads gunicorn; no control socket (it would be created
# under the service user's home, which the unit makes read-only).
control_socket_disable = True
