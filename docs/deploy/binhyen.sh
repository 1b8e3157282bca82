#!/bin/sh
# /usr/local/sbin/binhyen — the `binhyen` command for the operator, run as root:
#   install -m 0755 docs/deploy/binhyen.sh /usr/local/sbin/binhyen
#   sudo binhyen outbox status
# It runs /opt/binhyen/.venv/bin/binhyen as the binhyen user with exactly the settings the
# units have (/etc/binhyen/env, read by systemd, root's only), so what it sees is what the
# workers see. Name files by absolute paths the binhyen user may use (/var/backups/binhyen/…).
# Its exit code is the command's (0 done, 1 a rule said no, 2 a wrong setting: docs/operations.md).
exec systemd-run --quiet --pipe --wait --collect --service-type=exec \
    --property=User=binhyen --property=Group=binhyen \
    --property=EnvironmentFile=/etc/binhyen/env \
    --property=Environment=PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin \
    --property=WorkingDirectory=/var/lib/binhyen --property=UMask=0077 \
    /opt/binhyen/.venv/bin/binhyen "$@"
