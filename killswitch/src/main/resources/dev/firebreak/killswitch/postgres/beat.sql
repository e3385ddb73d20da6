-- Strict mode heartbeat of the kill switch (ingest V4 installs firebreak.beat). Parameter: detail.
SELECT firebreak.beat('killswitch', ?)
