-- Until 0.3.1 a remote turn joined with an Idempotency-Key kept "remote:<phone>:<key>" as its
-- ticket's key, and branches shipped it here in ticket.issued. The same digest the hub now keeps
-- (server/floor/keys.py: "remote:" and the first 32 hex digits of sha256("<phone>\n<key>")).
-- depends: 0011_in_target_judged

UPDATE events
   SET data = jsonb_set(data, '{idempotency_key}', to_jsonb('remote:' || left(encode(sha256(convert_to(
       substring(data->>'idempotency_key' from '^remote:(0[0-9]{10}):') || E'\n' ||
       substring(data->>'idempotency_key' from '^remote:0[0-9]{10}:(.*)$'), 'UTF8')), 'hex'), 32)))
 WHERE type = 'ticket.issued' AND data->>'idempotency_key' ~ '^remote:0[0-9]{10}:';
