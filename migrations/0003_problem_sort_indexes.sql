-- 0003_problem_sort_indexes: keyset pagination of GET /problems?sort=upvotes|solutions.
-- Without these, those sorts read and sort every approved row. Partial (approved only): the
-- public list is the only reader, and pending inserts (the create hot path) skip them.
-- Append-only: never edit this file once released; add a new migration instead.

CREATE INDEX problems_approved_upvotes_idx ON problems (upvotes DESC, created_at DESC, id DESC)
    WHERE guardrail_status = 'approved';
CREATE INDEX problems_approved_solutions_idx ON problems (solution_count DESC, created_at DESC, id DESC)
    WHERE guardrail_status = 'approved';
