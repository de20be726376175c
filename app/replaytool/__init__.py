"""Admin tooling behind `scripts/replay.py`: see, prove and rewind the event log, safely, while the
bot runs. A package (not a script) so every piece is typed, checked by mypy and tested in-process.

Runbook (every subcommand has `--help`; the source database is only ever opened read-only):

    python scripts/replay.py verify  --db data/yulelog.db       # exit 0 "verified N events", or 1
    python scripts/replay.py stats   --db data/yulelog.db       # types, categories, snapshots
    python scripts/replay.py audit   --db data/yulelog.db --stream santa/1 --since 2025-11-01 --json
    python scripts/replay.py rebuild --db data/yulelog.db       # fold everything; events/s
    python scripts/replay.py state   --db data/yulelog.db --at 2025-12-31T23:59:59 [--guild G]
    python scripts/replay.py restore --db data/yulelog.db --at 41234 --out data/restored.db
    python scripts/replay.py history --db data/yulelog.db --guild G [--member U] [--json]
    python scripts/replay.py backup  --db data/yulelog.db --out backups/manual.db

`--at` takes a position (an integer) or an ISO-8601 time (UTC when no offset is given). For the
bot: `backup.make_backup(db_path, backup_dir, keep, now)` makes a verified, dated backup and prunes
all but the `keep` newest; `backup.backup_made_event(result)` is the `admin.BackupMade` event to
record.

Modules: `cli` (arguments, exit codes), `commands` (one handler per subcommand), `logaccess`
(read-only opening, `--at` resolution), `prefixcopy` (restore's copy), `backup`, `stats`,
`history`, `readmodels` and `render` (output), `generate` (realistic logs for tests and bench).
"""
