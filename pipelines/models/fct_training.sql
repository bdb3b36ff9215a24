-- fct_training: e-commerce training sessions (电商培训台账 of 商务局 and 人社局), one row per
-- session, with what the sign-in lists (培训签到名单) add where a session has one: rows
-- listed, distinct persons (by the salted hash of the ID number) and 建档立卡贫困户
-- among them. person_times (培训人次) is the department's reported figure and the one the
-- indicators count; the lists only check it. A sign-in list for a session no ledger
-- reports is kept as its own row (session_reported = false), not dropped.
with sessions as (
    select
        submitted_by,
        year,
        session_id,
        session_date,
        organiser,
        topic,
        trainee_group,
        township_code,
        person_times
    from training_sessions
),

attendance as (
    select
        year,
        session_id,
        count(*) as attendees_listed,
        count(distinct person_hash) as distinct_persons,
        count(distinct case when is_poor_household then person_hash end) as poor_household_attendees
    from training_attendees
    group by year, session_id
),

final as (
    select
        coalesce(s.year, a.year) as year,
        coalesce(s.session_id, a.session_id) as session_id,
        s.session_date,
        to_char(s.session_date, '%Y-%m') as month,
        s.submitted_by,
        s.organiser,
        s.topic,
        s.trainee_group,
        s.township_code,
        s.person_times,
        s.session_id is not null as session_reported,
        a.session_id is not null as has_attendee_list,
        coalesce(a.attendees_listed, 0) as attendees_listed,
        coalesce(a.distinct_persons, 0) as distinct_persons,
        coalesce(a.poor_household_attendees, 0) as poor_household_attendees
    from sessions s
    full outer join attendance a on a.year = s.year and a.session_id = s.session_id
)

select * from final
