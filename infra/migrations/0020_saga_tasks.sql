-- The booking process's own state: one row per booking it still has work for. The booking's
-- events say where it stands; this row says when to look at it next, how often the current
-- step has been tried, until when it may keep trying, and (once the booking cannot go ahead)
-- why, while its compensations run. A worker claims a due row with a lease and a token and
-- releases it by moving it on, rescheduling it or deleting it once nothing is left to do.
CREATE TABLE saga_tasks
(
    booking_id      uuid        PRIMARY KEY,
    -- When the row is due (now, or a retry's time).
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A claim holds the row until then, whatever wakes it meanwhile.
    leased_until    timestamptz,
    claim           uuid,
    -- Bumped by every wake, so a worker that saw nothing left to do deletes the row only if
    -- nothing woke it since it looked.
    wakes           bigint      NOT NULL DEFAULT 0,
    -- The step the attempts count for; a new step starts again from zero.
    step            text,
    attempts        integer     NOT NULL DEFAULT 0,
    -- Past it, the step is given up and the booking compensated.
    step_deadline   timestamptz,
    -- Set once the booking cannot go ahead: compensations run, then it is recorded failed.
    failure_reason  text,
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_tasks_due ON saga_tasks (next_attempt_at);
