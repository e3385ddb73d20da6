-- pgbench's three single-row UPDATEs (accounts, tellers, branches) in a server-side loop, one
-- transaction each time as pgbench does: what each UPDATE costs the backend, the triggers' work per
-- transaction included, with no client, network or other session in between. ${transactions},
-- ${accounts}, ${tellers} and ${branches} are filled in by UpdateLoop; the stride (a prime)
-- spreads the accounts over the table.
DO $loop$
BEGIN
    FOR i IN 1..${transactions} LOOP
        UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1 + (i * 7919) % ${accounts};
        UPDATE pgbench_tellers SET tbalance = tbalance + 1 WHERE tid = 1 + i % ${tellers};
        UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1 + i % ${branches};
        COMMIT;
    END LOOP;
END
$loop$
