#!/usr/bin/env python3
"""The DuckDB twin of a distribution run: the same allocation written as SQL, from the inputs that
`bench distribution --duckdb` exports (crates/bench/src/twin.rs says what each file holds), checked line by
line against the run's own lines to the micro-unit.

    python3 scripts/distribution-twin.py DIR

Prints "SECONDS PEAK_MIB DETAIL" (the time and peak memory of the allocation in DuckDB, reading the CSV
files included) and fails with the first differing lines if the two disagree. Needs `pip install duckdb`.

Every division is by largest remainder as money::allocate_micros does it: each part the floor of
amount x weight / total, the units left over to the largest remainders, ties to the lower position.
"""

import resource
import sys
import time

import duckdb

SCALE = 100_000_000  # money::SHARE_SCALE: 100%


def largest_remainder(source, group, order):
    """SQL dividing each group's `amount` over its rows by `weight`, ordered by `order` for ties: the
    source's columns with `part`."""
    return f"""
    WITH s AS (SELECT *, SUM(weight::HUGEINT) OVER (PARTITION BY {group}) AS total FROM ({source})),
    f AS (SELECT *, (amount::HUGEINT * weight) // total AS base, (amount::HUGEINT * weight) % total AS rem
          FROM s WHERE total > 0),
    r AS (SELECT *, amount - SUM(base) OVER (PARTITION BY {group}) AS leftover,
                 ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY rem DESC, {order}) AS rank_
          FROM f)
    SELECT * EXCLUDE (total, base, rem, leftover, rank_),
           (base + CASE WHEN rank_ <= leftover THEN 1 ELSE 0 END)::BIGINT AS part
    FROM r"""


def load(db, folder):
    csv = lambda name, types: db.execute(
        f"CREATE TABLE {name.split('.')[0]} AS SELECT * FROM read_csv('{folder}/{name}', header = true, "
        f"columns = {types}, nullstr = '\\N')"
    )
    csv("pools.csv", {"pool": "INT", "stage": "VARCHAR", "licensee": "VARCHAR", "source": "VARCHAR",
                      "territory": "VARCHAR", "currency": "VARCHAR", "micros": "BIGINT", "fee": "BIGINT",
                      "fund": "BIGINT", "performing": "BIGINT", "day": "VARCHAR"})
    csv("works.csv", {"work": "INT", "code": "VARCHAR", "distributable": "BOOLEAN", "disputed": "BOOLEAN",
                      "stage": "VARCHAR", "day": "VARCHAR", "counts": "BOOLEAN"})
    csv("holdings.csv", {"stage": "VARCHAR", "territory": "VARCHAR", "day": "VARCHAR", "work": "INT",
                         "ord": "INT", "party": "VARCHAR", "right_type": "VARCHAR", "payee": "VARCHAR",
                         "share": "BIGINT", "included": "BOOLEAN"})
    csv("outputs.csv", {"licensee": "VARCHAR", "output": "INT", "model": "VARCHAR", "revenue": "BIGINT",
                        "territories": "VARCHAR", "confident": "BOOLEAN"})
    csv("influences.csv", {"licensee": "VARCHAR", "output": "INT", "ord": "INT", "work": "INT",
                           "name": "VARCHAR", "weight": "BIGINT"})
    csv("services.csv", {"licensee": "VARCHAR", "service": "VARCHAR", "model": "VARCHAR"})


def allocate(db):
    # Deductions, each rounded toward zero; the rest is divided.
    db.execute(f"""CREATE TABLE deducted AS SELECT *, micros - fee_amount - fund_amount AS net FROM (
        SELECT *, fee_amount, ((micros - fee_amount)::HUGEINT * fund // {SCALE})::BIGINT AS fund_amount
        FROM (SELECT *, (micros::HUGEINT * fee // {SCALE})::BIGINT AS fee_amount FROM pools))""")
    # The training key: every work that counts, equally, in work order (the twin covers one model version).
    days = db.execute("SELECT COUNT(DISTINCT day) FROM works WHERE stage = 'training'").fetchone()[0]
    if days > 1:
        sys.exit("the twin covers one training day")
    db.execute(f"""CREATE TABLE training_key AS SELECT work AS ord, work, {SCALE}::BIGINT AS weight
        FROM works WHERE stage = 'training' AND counts""")
    # An output's revenue in each output pool's territory (everywhere when it says nothing of where).
    db.execute("""CREATE TABLE output_revenue AS
        WITH t AS (SELECT o.licensee, o.output, split_part(x, '=', 1) AS territory,
                          split_part(x, '=', 2)::BIGINT AS revenue
                   FROM outputs o, unnest(string_split(o.territories, ';')) AS u(x)
                   WHERE coalesce(o.territories, '') <> '')
        SELECT p.pool, o.output, o.model, o.confident,
               CASE WHEN p.territory IS NULL OR p.territory = '' OR coalesce(o.territories, '') = ''
                    THEN o.revenue ELSE coalesce(t.revenue, 0) END AS revenue
        FROM deducted p JOIN outputs o ON o.licensee = p.licensee AND p.stage = 'output'
        LEFT JOIN t ON t.licensee = o.licensee AND t.output = o.output AND t.territory = p.territory""")
    # Each attributed output's weights: the works that count for output (on the pools' day), and what the
    # repertoire does not hold.
    db.execute("""CREATE TABLE attributed AS
        SELECT i.licensee, i.output, row_number() OVER (PARTITION BY i.licensee, i.output ORDER BY i.ord, i.seq) AS ord,
               i.work, i.name, i.weight
        FROM (SELECT *, row_number() OVER () AS seq FROM influences) i
        LEFT JOIN works w ON w.work = i.work AND w.stage = 'output'
        WHERE i.weight > 0 AND (i.work < 0 OR w.counts)""")
    # An output pool's parts: each confident, attributed output by its revenue; the others together per
    # model version (at the first one's place), by the analogy key.
    db.execute("""CREATE TABLE output_parts AS
        WITH r AS (SELECT r.*, r.confident AND EXISTS (SELECT 1 FROM attributed a JOIN deducted p ON p.pool = r.pool
                                   WHERE a.licensee = p.licensee AND a.output = r.output) AS usable
                   FROM output_revenue r WHERE r.revenue > 0)
        SELECT pool, 'O' || output AS key_part, min(output) AS ord, 'attributed' AS how, output, sum(revenue) AS weight
        FROM r WHERE usable GROUP BY pool, output
        UNION ALL
        SELECT pool, 'M' || coalesce(model, ''), min(output), 'analogy', NULL, sum(revenue)
        FROM r WHERE NOT usable GROUP BY pool, model""")
    db.execute(f"""CREATE TABLE output_amounts AS {largest_remainder(
        "SELECT o.*, p.net AS amount FROM output_parts o JOIN deducted p USING (pool)", "pool", "ord")}""")
    # Every key applied: training and service pools (a service follows its one model version's training
    # key) and output pools' analogy parts by the training key; attributed parts by their weights.
    db.execute("""CREATE TABLE key_parts AS
        SELECT pool, 'T' AS key_part, 'analogy' AS how, NULL::INT AS output, net AS amount
        FROM deducted WHERE stage IN ('training', 'service')
        UNION ALL
        SELECT pool, key_part, how, output, part FROM output_amounts""")
    by_training = largest_remainder(
        "SELECT k.pool, k.key_part, k.amount, t.ord, t.work, NULL::VARCHAR AS name, t.weight "
        "FROM key_parts k JOIN training_key t ON true WHERE k.how = 'analogy'", "pool, key_part", "ord")
    by_attribution = largest_remainder(
        "SELECT k.pool, k.key_part, k.amount, a.ord, a.work, a.name, a.weight FROM key_parts k "
        "JOIN deducted p USING (pool) JOIN attributed a ON a.licensee = p.licensee AND a.output = k.output "
        "WHERE k.how = 'attributed'", "pool, key_part", "ord")
    # What each target got from every key of its pool, added up (a work is divided over its shares once).
    db.execute(f"""CREATE TABLE targets AS SELECT pool, work, coalesce(name, '') AS name, sum(part) AS amount FROM (
        SELECT * FROM ({by_training}) UNION ALL SELECT * FROM ({by_attribution}))
        GROUP BY pool, work, coalesce(name, '') HAVING sum(part) <> 0""")
    split(db)


def split(db):
    # Each work's amount between the rights (a right nobody holds gives its part to the other).
    db.execute("""CREATE TABLE work_context AS
        SELECT t.pool, t.work, t.amount, p.stage, coalesce(p.territory, '') AS territory, p.day, p.performing,
               w.code, w.disputed
        FROM targets t JOIN deducted p USING (pool)
        JOIN works w ON w.work = t.work AND w.stage = p.stage AND w.day = p.day WHERE t.work >= 0""")
    db.execute("""CREATE TABLE held AS
        SELECT c.pool, c.work, bool_or(h.right_type = 'PR') AS pr, bool_or(h.right_type = 'MR') AS mr
        FROM work_context c JOIN holdings h ON h.work = c.work AND h.stage = c.stage
             AND coalesce(h.territory, '') = c.territory AND h.day = c.day
        GROUP BY c.pool, c.work""")
    rights = f"""
        SELECT c.pool, c.work, c.amount, r.right_type, r.ord,
               CASE WHEN h.pr AND h.mr THEN (CASE WHEN r.right_type = 'PR' THEN c.performing
                                                  ELSE {SCALE} - c.performing END)
                    ELSE 1 END AS weight
        FROM work_context c JOIN held h USING (pool, work)
        JOIN (VALUES ('PR', 0), ('MR', 1)) r(right_type, ord)
          ON (r.right_type = 'PR' AND h.pr) OR (r.right_type = 'MR' AND h.mr)
        WHERE NOT c.disputed"""
    db.execute(f"CREATE TABLE right_parts AS {largest_remainder(rights, 'pool, work', 'ord')}")
    # Each right's part over the included holders' collected shares, and what no holder claims.
    db.execute(f"""CREATE TABLE holder_weights AS
        WITH h AS (SELECT r.pool, r.work, r.right_type, r.part AS amount, h.ord, h.party, h.payee, h.share, h.included
                   FROM right_parts r JOIN work_context c USING (pool, work)
                   JOIN holdings h ON h.work = r.work AND h.right_type = r.right_type AND h.stage = c.stage
                        AND coalesce(h.territory, '') = c.territory AND h.day = c.day)
        SELECT pool, work, right_type, amount, ord, party, payee, share AS weight FROM h
        WHERE share > 0 AND included
        UNION ALL
        SELECT pool, work, right_type, any_value(amount), 1000000, NULL, 'unknown',
               greatest({SCALE} - sum(share), 0) FROM h GROUP BY pool, work, right_type""")
    db.execute(f"CREATE TABLE holder_parts AS {largest_remainder('SELECT * FROM holder_weights', 'pool, work, right_type', 'ord')}")
    db.execute("""CREATE TABLE twin_lines AS
        SELECT pool, kind, work, unidentified, party, right_type, payee, reason, sum(amount) AS amount FROM (
            SELECT pool, 'fee' AS kind, '' AS work, '' AS unidentified, '' AS party, '' AS right_type,
                   'member' AS payee, '' AS reason, fee_amount AS amount FROM deducted
            UNION ALL
            SELECT pool, 'fund', '', '', '', '', 'member', '', fund_amount FROM deducted
            UNION ALL
            SELECT pool, 'reserve', '', name, '', '', 'unknown', 'unidentified-work', amount
            FROM targets WHERE work < 0
            UNION ALL
            SELECT pool, 'reserve', code, '', '', '', 'unknown', 'disputed-share', amount
            FROM work_context WHERE disputed
            UNION ALL
            SELECT c.pool, 'reserve', c.code, '', '', '', 'unknown', 'unknown-party', c.amount
            FROM work_context c ANTI JOIN held USING (pool, work) WHERE NOT c.disputed
            UNION ALL
            SELECT r.pool, 'reserve', c.code, '', '', r.right_type, 'unknown', 'excluded', r.part
            FROM right_parts r JOIN work_context c USING (pool, work)
            WHERE NOT EXISTS (SELECT 1 FROM holder_weights w WHERE w.pool = r.pool AND w.work = r.work
                              AND w.right_type = r.right_type AND w.weight > 0)
            UNION ALL
            SELECT h.pool, CASE WHEN h.payee = 'unknown' THEN 'reserve' ELSE 'share' END, c.code, '',
                   coalesce(h.party, ''), h.right_type, h.payee,
                   CASE WHEN h.payee = 'unknown' THEN 'unknown-party' ELSE '' END, h.part
            FROM holder_parts h JOIN work_context c USING (pool, work))
        GROUP BY ALL HAVING sum(amount) <> 0""")


def main():
    folder = sys.argv[1]
    started = time.time()
    db = duckdb.connect()
    load(db, folder)
    allocate(db)
    seconds = time.time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db.execute(f"""CREATE TABLE rust_lines AS SELECT * FROM read_csv('{folder}/rust_lines.csv', header = true,
        columns = {{'pool': 'INT', 'kind': 'VARCHAR', 'work': 'VARCHAR', 'unidentified': 'VARCHAR',
                   'party': 'VARCHAR', 'right_type': 'VARCHAR', 'payee': 'VARCHAR', 'reason': 'VARCHAR',
                   'amount': 'BIGINT'}}, nullstr = '\\N')""")
    columns = "pool, kind, coalesce(work, ''), coalesce(unidentified, ''), coalesce(party, ''), " \
              "coalesce(right_type, ''), payee, coalesce(reason, ''), amount"
    only_twin = db.execute(f"SELECT {columns} FROM twin_lines EXCEPT ALL SELECT {columns} FROM rust_lines "
                           "ORDER BY ALL LIMIT 5").fetchall()
    only_rust = db.execute(f"SELECT {columns} FROM rust_lines EXCEPT ALL SELECT {columns} FROM twin_lines "
                           "ORDER BY ALL LIMIT 5").fetchall()
    lines, micros = db.execute("SELECT count(*), sum(amount) FROM twin_lines").fetchone()
    if only_twin or only_rust:
        print(f"{seconds} {peak} DIFFERENT: only the twin {only_twin}; only the run {only_rust}")
        sys.exit(1)
    print(f"{seconds} {peak} {lines} lines, every one equal to the run's (sum {micros} micro-units)")


if __name__ == "__main__":
    main()
