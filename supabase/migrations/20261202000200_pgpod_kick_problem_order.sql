-- queue_health.kick_problem shows the newest kick failure. Events written in one
-- transaction share created_at (now()), so the id breaks the tie.
create or replace view pgpod.queue_health with (security_invoker = true) as
select q.endpoint,
       q.queue_name,
       q.queue_length,
       q.oldest_msg_age_s,
       q.newest_msg_age_s,
       q.total_messages,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status = 'submitting'
          and r.claimed_at < now() - make_interval(secs => s.claim_vt_s)) as runs_stuck_submitting,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status in ('IN_QUEUE', 'IN_PROGRESS')
          and coalesce(r.last_polled_at, r.submitted_at) < now() - make_interval(secs => s.poll_after_s)) as runs_overdue,
       (select ev.detail ->> 'error' from pgpod.job_events ev
        where ev.kind = 'kick_failed' and ev.created_at > now() - interval '1 hour'
        order by ev.created_at desc, ev.id desc limit 1) as kick_problem,
       case when h.dispatch_after > now() then h.dispatch_after end as dispatch_after,
       coalesce(h.refusals, 0) as submit_refusals,
       case when q.queue_length is null then format('pgpod: the queue %s is missing', q.queue_name)
            else h.problem end as problem,
       h.problem_at
from pgpod.queue_metrics() q
cross join pgpod.settings s
left join pgpod.endpoint_health h on h.endpoint = q.endpoint;
