-- 0004_job_queue: what the queue's workers, leader and panels need on top of 0002's tables.
-- Append-only: never edit this file once released; add a new migration instead.

-- Leases: started_at = when the current attempt was claimed (pickup latency = started_at - run_at),
-- heartbeat_at = when the holder last renewed locked_until.
ALTER TABLE jobs
    ADD COLUMN started_at   timestamptz,
    ADD COLUMN heartbeat_at timestamptz;

-- The claim: WHERE queue = ? AND state IN ('available', 'retryable') AND run_at <= now()
-- ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED — an ordered scan of ready
-- rows only, however many finished rows the table holds.
CREATE INDEX jobs_ready_idx ON jobs (queue, priority DESC, run_at, id)
    WHERE state IN ('available', 'retryable');

-- Schedules remember what they enqueue, so the panels can show it.
ALTER TABLE job_schedules
    ADD COLUMN queue      text,
    ADD COLUMN kind       text,
    ADD COLUMN payload    jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Wake the workers of a queue when jobs arrive, whoever inserts them (enqueue(), services that
-- write jobs rows in their own statements). Payload = queue name; PostgreSQL delivers it at commit
-- and folds duplicates within a transaction.
-- A NOTIFY is not free: PostgreSQL serialises the commits of notifying transactions (a database-wide
-- lock is held from pre-commit to the end of commit, WAL flush included); in our benchmark that cut
-- concurrent enqueues to a third. So it is skipped while the queue holds ready jobs that have waited
-- more than 250 ms: the workers are then saturated (each claims again as soon as it finishes) or
-- about to poll (≤ 1 s). Jobs due later are found by that poll too.
CREATE FUNCTION jobs_notify_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bw_jobs', n.queue)
       FROM (SELECT DISTINCT queue FROM inserted_jobs WHERE state = 'available' AND run_at <= now()) n
      WHERE NOT EXISTS (SELECT 1 FROM jobs j
                         WHERE j.queue = n.queue AND j.state = 'available'
                           AND j.run_at < now() - interval '250 milliseconds');
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify_inserted
    AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_inserted();
